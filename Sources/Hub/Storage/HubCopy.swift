import Crypto
import Foundation

/// What a hub holds, counted and digested the same way whatever the store: `kb serve migrate` prints it
/// for the source and the copy, which must agree.
public struct HubInventory: Sendable, Equatable {
    public var knowledgeBases = 0
    public var tokens = 0
    public var changes = 0
    /// SHA-256 over every knowledge base (name, epoch, head), token (hash, knowledge base, name, creation)
    /// and log entry (position, replica, sequence number, payload, arrival), in order, as hex.
    public var digest = ""

    /// Reads a whole store, a page of the log at a time.
    public static func of(_ store: any HubStore, pageSize: Int = 5000) async throws -> HubInventory {
        var hasher = SHA256()
        var inventory = HubInventory()
        func add(_ fields: [String]) {
            for field in fields {
                hasher.update(data: Array("\(field.utf8.count):".utf8) + Array(field.utf8))
            }
        }
        let tokens = try await store.tokens()
        for record in try await store.knowledgeBases() {
            inventory.knowledgeBases += 1
            add(["kb", record.name, record.epoch, "\(record.head)"])
            for token in tokens.filter({ $0.knowledgeBase == record.name }).sorted(by: { $0.hash < $1.hash }) {
                inventory.tokens += 1
                add(["token", token.hash, token.name ?? "", "\(token.createdAt)"])
            }
            var after: Int64 = 0
            while true {
                let page = try await store.logRecords(in: record.name, after: after, limit: pageSize)
                guard let last = page.last else { break }
                for entry in page {
                    inventory.changes += 1
                    add(["change", "\(entry.hubSeq)", entry.replica, "\(entry.seq)", "\(entry.receivedAt)"])
                    hasher.update(data: entry.payload)
                }
                after = last.hubSeq
            }
        }
        inventory.digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return inventory
    }
}

/// Copies a hub into an empty PostgreSQL store, one knowledge base per transaction.
public enum HubCopy {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Copies every knowledge base, token and log entry of `source` into `target`; returns the inventories of
    /// both, read back after the copy.
    public static func copy(from source: any HubStore, to target: PostgresHubStore, pageSize: Int = 5000)
        async throws -> (source: HubInventory, copy: HubInventory)
    {
        let existing = Set(try await target.knowledgeBases().map(\.name))
        let records = try await source.knowledgeBases()
        if let clash = records.first(where: { existing.contains($0.name) }) {
            throw Failure(
                message:
                    "the target already holds the knowledge base '\(clash.name)'; migrate into an empty database.")
        }
        let tokens = try await source.tokens()
        for record in records {
            var log: [HubLogRecord] = []
            var after: Int64 = 0
            while true {
                let page = try await source.logRecords(in: record.name, after: after, limit: pageSize)
                guard let last = page.last else { break }
                log += page
                after = last.hubSeq
            }
            try await target.importKnowledgeBase(
                record, tokens: tokens.filter { $0.knowledgeBase == record.name }, log: log)
        }
        return (try await HubInventory.of(source), try await HubInventory.of(target))
    }
}
