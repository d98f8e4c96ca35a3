import Foundation
import KB
import Testing

@testable import Sync

/// What a remote's URL says about the token's safety, and a remote's private CA.
struct RemoteTransportSecurityTests {
    @Test(arguments: [
        ("http://127.0.0.1:8765/notes", false),
        ("http://127.8.9.10:8765/notes", false),
        ("http://localhost:8765/notes", false),
        ("http://LOCALHOST:8765/notes", false),
        ("http://[::1]:8765/notes", false),
        ("https://hub.example:8765/notes", false),
        ("https://192.168.1.20/notes", false),
        ("http://hub.example:8765/notes", true),
        ("http://192.168.1.20:8765/notes", true),
        ("http://127.0.0.1.example:8765/notes", true),
        ("http://[::2]:8765/notes", true),
        ("http://vm:8765/notes", true),
    ])
    func tokenInClear_onlyOverPlainHTTPToAnotherHost(url: String, inClear: Bool) {
        let remote = Remote(
            name: "origin", url: url, token: "t", epoch: nil, cursor: 0, cursorID: nil, pushed: 0, lastSync: nil)
        #expect(remote.sendsTokenInClear == inClear, "\(url)")
    }

    @Test func caFile_isKeptWithTheRemote_asAnAbsolutePath_andGoesWithIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kb-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let kb = KnowledgeBase(database: try AppDatabase.inMemory())
        let pem = folder.appendingPathComponent("私有 CA.pem")
        try Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).write(to: pem)

        let added = try RemoteStore.add(
            kb, name: "origin", url: "https://127.0.0.1:1/notes", token: "t", caFile: pem.path)
        #expect(added.caFile == pem.standardizedFileURL.path)
        #expect(try RemoteStore.get(kb, name: "origin").caFile == pem.standardizedFileURL.path)

        // Refused, and nothing stored: a file that is not PEM, a missing file, a CA for plain HTTP.
        let notPEM = folder.appendingPathComponent("note.txt")
        try Data("笔记 𠮷".utf8).write(to: notPEM)
        for (url, file) in [
            ("https://127.0.0.1:1/notes", notPEM.path), ("https://127.0.0.1:1/notes", folder.path + "/missing.pem"),
            ("http://127.0.0.1:1/notes", pem.path),
        ] {
            #expect(throws: SyncError.self) {
                try RemoteStore.add(kb, name: "second", url: url, token: nil, caFile: file)
            }
        }
        #expect(try RemoteStore.all(kb).map(\.name) == ["origin"])

        try RemoteStore.remove(kb, name: "origin")
        _ = try RemoteStore.add(kb, name: "origin", url: "https://127.0.0.1:1/notes", token: "t")
        #expect(try RemoteStore.get(kb, name: "origin").caFile == nil, "the CA file went with the removed remote")
    }
}
