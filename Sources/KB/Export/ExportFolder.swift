import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a Markdown export into a folder did.
public struct MarkdownExportReport: Sendable, Equatable {
    /// The folder, as given.
    public var folder: String
    /// Article files in the folder after the export.
    public var files = 0
    /// Files written (new, or with new content).
    public var written: [String] = []
    /// Files kb had written before that no article needs any more (retitled or deleted), removed.
    public var removed: [String] = []
    /// Files kb had written before and that were edited since: left as they are, and no longer kb's.
    public var keptEdited: [String] = []

    public init(folder: String) { self.folder = folder }
}

/// A folder that Markdown exports write into, and only into.
///
/// Every file is opened relative to the folder's descriptor with `O_NOFOLLOW`, under a name that is one
/// path component (``ExportFileName/isSafe(_:)``), written to a temporary file and renamed into place: no
/// write follows a symbolic link or leaves the folder. A symbolic link or another non-regular file where an
/// export file goes stops the export before anything is written.
///
/// The folder keeps a manifest, `.kb-export.json`, of the files kb wrote there with the SHA-256 of each.
/// On the next export, a file of the manifest that no article needs any more is removed if it still holds
/// what kb wrote, and left as it is (and reported) if the user edited it; files the manifest does not name
/// are the user's and are never removed or replaced.
final class ExportFolder {
    /// The manifest's file name.
    static let manifestName = ".kb-export.json"

    let path: String
    private let descriptor: Int32

    /// Opens (and creates, with its parents) the folder at `path`.
    ///
    /// - Throws: ``KBError`` `.storage` when the path is a symbolic link, not a folder, or cannot be made.
    init(path: String) throws {
        self.path = path
        var status = stat()
        if lstat(path, &status) != 0 {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw KBError(.storage, "Cannot create the export folder '\(path)'; check that its parent is writable.")
            }
        } else if status.st_mode & S_IFMT == S_IFLNK {
            throw KBError(
                .storage,
                "The export folder '\(path)' is a symbolic link; give the folder it points to, or another folder.")
        } else if status.st_mode & S_IFMT != S_IFDIR {
            throw KBError(.storage, "The export path '\(path)' is not a folder; give a folder with --out.")
        }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw KBError(
                .storage, "Cannot open the export folder '\(path)' (\(Self.reason(errno))); check that it is readable.")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    // MARK: - Entries

    enum Entry: Equatable {
        case missing
        case regular
        /// A symbolic link, a folder, a device…
        case other
    }

    /// What is at `name` in the folder, without following a link.
    func entry(_ name: String) -> Entry {
        precondition(ExportFileName.isSafe(name) || name == Self.manifestName, "unsafe export name '\(name)'")
        var status = stat()
        guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { return .missing }
        return status.st_mode & S_IFMT == S_IFREG ? .regular : .other
    }

    /// The bytes of a regular file in the folder, or nil.
    func bytes(of name: String) -> [UInt8]? {
        let file = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var status = stat()
        guard fstat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? bytes : nil }
            bytes += buffer[0..<count]
        }
    }

    /// Writes a file: a temporary file in the folder, renamed over `name`.
    func store(_ name: String, _ bytes: [UInt8]) throws {
        precondition(ExportFileName.isSafe(name) || name == Self.manifestName, "unsafe export name '\(name)'")
        var generator = SystemRandomNumberGenerator()
        let temporary = ".kb-export-\(String(generator.next() as UInt64, radix: 16)).tmp"
        let file = openat(descriptor, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw failure("write", name, errno) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let code = errno
                close(file)
                unlinkat(descriptor, temporary, 0)
                throw failure("write", name, code)
            }
            offset += count
        }
        close(file)
        guard renameat(descriptor, temporary, descriptor, name) == 0 else {
            let code = errno
            unlinkat(descriptor, temporary, 0)
            throw failure("write", name, code)
        }
    }

    /// Removes a regular file of the folder.
    func remove(_ name: String) throws {
        precondition(ExportFileName.isSafe(name), "unsafe export name '\(name)'")
        guard unlinkat(descriptor, name, 0) == 0 || errno == ENOENT else { throw failure("remove", name, errno) }
    }

    private func failure(_ verb: String, _ name: String, _ code: Int32) -> KBError {
        if code == ENOSPC || code == EDQUOT || code == EFBIG {
            return KBError(
                .storage, "Cannot \(verb) '\(path)/\(name)': the disk is full; free some space and export again.")
        }
        return KBError(
            .storage, "Cannot \(verb) '\(path)/\(name)' (\(Self.reason(code))); check that the folder is writable.")
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)).lowercased() }

    // MARK: - Manifest

    /// A file kb wrote: its name, the article it holds and the SHA-256 of what was written.
    struct ManifestEntry: Codable, Equatable {
        var name: String
        var id: String
        var sha256: String
    }

    struct Manifest: Codable {
        var format = "kb-markdown-export"
        var version = 1
        var files: [ManifestEntry] = []
    }

    /// The manifest of earlier exports; empty when there is none or it cannot be read.
    func manifest() -> [String: ManifestEntry] {
        guard let data = bytes(of: Self.manifestName),
            let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(data)),
            manifest.format == "kb-markdown-export"
        else { return [:] }
        var result: [String: ManifestEntry] = [:]
        for entry in manifest.files where ExportFileName.isSafe(entry.name) { result[entry.name] = entry }
        return result
    }

    func writeManifest(_ entries: [ManifestEntry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let manifest = Manifest(files: entries.sorted { $0.name < $1.name })
        let data = (try? encoder.encode(manifest)) ?? Data()
        try store(Self.manifestName, Array(data) + [0x0A])
    }
}

extension KnowledgeBase {
    /// Exports every live article as a Markdown file into a folder, confined to it, and removes the files of
    /// an earlier export that no article needs any more.
    ///
    /// ```swift
    /// let report = try kb.exportMarkdown(to: "notes/kb")
    /// print(report.written.count, report.removed.count)
    /// ```
    ///
    /// File names come from ``ExportFileName``, never from ids as they are. A name taken by a file kb did not
    /// write gets the next free `NAME 2.md`, `NAME 3.md`…; a file kb wrote that the user edited since is
    /// neither replaced nor removed (see ``MarkdownExportReport/keptEdited``).
    ///
    /// - Parameter folder: The folder; created with its parents when missing. It must not be a symbolic link.
    /// - Returns: What was written, removed and kept.
    /// - Throws: ``KBError`` `.storage` when the folder cannot be used or a file cannot be written, or when a
    ///   symbolic link or a non-regular file stands where an export file goes (then nothing is written).
    public func exportMarkdown(to folder: String) throws -> MarkdownExportReport {
        let files = try exportMarkdown()
        let directory = try ExportFolder(path: folder)
        let previous = directory.manifest()
        var report = MarkdownExportReport(folder: folder)

        // Plan every name first: nothing is written when one cannot be.
        var plan: [(name: String, id: String, bytes: [UInt8], hash: String, isUnchanged: Bool)] = []
        var taken: Set<String> = []
        for file in files {
            let bytes = Array(file.content.utf8)
            let hash = Identifier.sha256Hex(bytes)
            var copy = 1
            var name = file.name
            while true {
                if directory.entry(name) == .other {
                    throw KBError(
                        .storage,
                        "The export file '\(folder)/\(name)' is a symbolic link or not a regular file; kb does not "
                            + "write through it: remove it or export to another folder.")
                }
                if !taken.contains(name),
                    Self.mayWrite(directory, name: name, previous: previous, id: file.id, hash: hash)
                {
                    break
                }
                copy += 1
                name = ExportFileName.make(title: file.title, id: file.id, copy: copy)
            }
            taken.insert(name)
            let isUnchanged = directory.bytes(of: name).map { Identifier.sha256Hex($0) == hash } ?? false
            plan.append((name, file.id, bytes, hash, isUnchanged))
        }

        for item in plan where !item.isUnchanged {
            try directory.store(item.name, item.bytes)
            report.written.append(item.name)
        }
        // Files of earlier exports that no article needs any more, or that the user edited (kept, and theirs
        // from now on: the manifest no longer names them).
        for (name, entry) in previous.sorted(by: { $0.key < $1.key }) where !taken.contains(name) {
            guard directory.entry(name) == .regular, let current = directory.bytes(of: name) else { continue }
            if Identifier.sha256Hex(current) == entry.sha256 {
                try directory.remove(name)
                report.removed.append(name)
            } else {
                report.keptEdited.append(name)
            }
        }
        report.files = plan.count
        try directory.writeManifest(plan.map { ExportFolder.ManifestEntry(name: $0.name, id: $0.id, sha256: $0.hash) })
        return report
    }

    /// True when kb may write the export of article `id` under `name`: nothing is there, or what is there is
    /// kb's own (in the manifest and not edited since, or an export of the same article without a manifest).
    static func mayWrite(
        _ directory: ExportFolder, name: String, previous: [String: ExportFolder.ManifestEntry], id: String,
        hash: String
    ) -> Bool {
        switch directory.entry(name) {
        case .missing: return true
        case .other: return false
        case .regular:
            guard let current = directory.bytes(of: name) else { return false }
            let currentHash = Identifier.sha256Hex(current)
            if currentHash == hash { return true }
            if let entry = previous[name] { return entry.sha256 == currentHash }
            return isExport(current, ofArticle: id)
        }
    }

    /// True when the bytes are a Markdown export of the article `id` (its front matter names it).
    static func isExport(_ bytes: [UInt8], ofArticle id: String) -> Bool {
        let head = Array("---\nid: ".utf8) + Array(JSONText.string(id).utf8) + [0x0A]
        return bytes.count >= head.count && Array(bytes[0..<head.count]) == head
    }
}
