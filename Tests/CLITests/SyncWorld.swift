import Foundation
import Testing

/// A hub, a knowledge base on it, and replicas (separate files) whose remote `origin` points at it
/// (or at a proxy in front of it).
final class SyncWorld: @unchecked Sendable {
    // @unchecked: used only from the test that owns it.
    let hub: Hub
    let folder: TemporaryFolder
    let kbName: String
    let tokenFile: String
    private(set) var replicas: [Replica] = []

    /// Starts a hub and makes `count` replicas named r1, r2, … with the remote added.
    convenience init(replicas count: Int, kb kbName: String = "notes", remoteURL: ((Hub) -> String)? = nil) throws {
        try self.init(hub: try Hub(), replicas: count, kb: kbName, remoteURL: remoteURL)
    }

    /// The same around a hub started by the caller (on PostgreSQL, say).
    init(hub: Hub, replicas count: Int, kb kbName: String = "notes", remoteURL: ((Hub) -> String)? = nil) throws {
        self.hub = hub
        folder = try TemporaryFolder("kb-replicas")
        self.kbName = kbName
        tokenFile = try hub.makeTokenFile(kb: kbName)
        for index in stride(from: 1, through: count, by: 1) {
            try addReplica("r\(index)", url: remoteURL?(hub))
        }
    }

    subscript(index: Int) -> Replica { replicas[index] }

    /// Adds a replica with the remote `origin`.
    @discardableResult
    func addReplica(_ name: String, url: String? = nil, environment: [String: String] = [:]) throws -> Replica {
        let replica = Replica(name, in: folder, environment: environment)
        try replica.addRemote(url ?? hub.url(kbName), tokenFile: tokenFile)
        replicas.append(replica)
        return replica
    }

    /// Text added to every failure message (a seed to replay, the last operations).
    var context: () -> String = { "" }

    /// One `kb sync --json`; expects exit 0, or exit 1 with the JSON report when conflicts remain.
    @discardableResult
    func sync(_ replica: Replica, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try replica.sync()
        let report = result.parsedObject
        let conflicts = report?.int("conflicts") ?? 0
        #expect(
            result.succeeded || (result.exitCode == 1 && conflicts > 0),
            "kb sync on \(replica.name) failed:\n\(result)\nhub log:\n\(hub.logs.suffix(3000))\n\(context())",
            sourceLocation: sourceLocation)
        return try #require(
            report, "kb sync --json printed no report:\n\(result)\n\(context())", sourceLocation: sourceLocation)
    }

    /// Syncs every replica in turn, round after round, until a whole round pushes and pulls nothing;
    /// returns the number of rounds (the quiet one included) and expects at most `maxRounds`.
    @discardableResult
    func converge(
        _ members: [Replica]? = nil, maxRounds: Int = 4, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Int {
        let members = members ?? replicas
        for round in 1...maxRounds {
            var moved = 0
            for replica in members {
                let report = try sync(replica, sourceLocation: sourceLocation)
                moved += (report.int("pushed") ?? 0) + (report.int("pulled") ?? 0)
            }
            if moved == 0 { return round }
        }
        Issue.record(
            "the replicas still exchange changes after \(maxRounds) rounds\n\(context())",
            sourceLocation: sourceLocation)
        return maxRounds + 1
    }

    /// Expects every replica to hold the same content, the same open conflicts, and no gaps.
    func expectConverged(_ members: [Replica]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let members = members ?? replicas
        var digests: [String: String] = [:]
        var conflicts: [String: [String]] = [:]
        for replica in members {
            let status = try replica.status(sourceLocation: sourceLocation)
            digests[replica.name] = status.string("digest")
            conflicts[replica.name] = try replica.conflictIDs(sourceLocation: sourceLocation)
            #expect(
                status.int("gaps") == 0, "gaps on \(replica.name): \(status)\n\(context())",
                sourceLocation: sourceLocation)
            #expect(
                status.int("pending") == 0, "pending on \(replica.name): \(status)\n\(context())",
                sourceLocation: sourceLocation)
            #expect(
                status.int("quarantined") == 0, "set aside on \(replica.name): \(status)\n\(context())",
                sourceLocation: sourceLocation)
        }
        if Set(digests.values).count != 1 {
            let differences = try differences(members)
            Issue.record(
                "content digests differ: \(digests)\n\(differences)\n\(context())", sourceLocation: sourceLocation)
        }
        #expect(
            Set(conflicts.values.map { $0.joined(separator: ",") }).count == 1,
            "open conflicts differ: \(conflicts)\n\(context())", sourceLocation: sourceLocation)
    }
}

extension SyncWorld {
    /// What differs between the first replica and the others: lines of their JSON dumps and of their
    /// annotation lists found on one side only (for failure messages).
    func differences(_ members: [Replica]) throws -> String {
        guard let first = members.first else { return "" }
        func lines(_ replica: Replica) throws -> [String] {
            let dump = try replica.run(["export", "--format", "json"]).stdout
            let notes = try replica.run(["notes", "--json"]).stdout
            let list = try replica.run(["list", "--json"]).stdout
            // Times of local application differ between replicas and are not content.
            return (dump + notes + list).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.contains("_at\" : ") }
        }
        let reference = try lines(first)
        var out = ""
        for other in members.dropFirst() {
            let theirs = try lines(other)
            let onlyFirst = Set(reference).subtracting(theirs).sorted().prefix(15)
            let onlyOther = Set(theirs).subtracting(reference).sorted().prefix(15)
            out += "only on \(first.name) vs \(other.name):\n  " + onlyFirst.joined(separator: "\n  ") + "\n"
            out += "only on \(other.name) vs \(first.name):\n  " + onlyOther.joined(separator: "\n  ") + "\n"
        }
        return out
    }
}
