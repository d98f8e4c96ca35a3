internal import CZlib
import Foundation
public import GRDB

/// A page kept as back-references to the articles created from it (``CompressedText/Format/articleDictionary``).
///
/// The articles of an imported page hold nearly all its characters; the page adds line breaks, blank lines and
/// what the splitter left out. The page is compressed with zlib's preset dictionary made of its articles' texts
/// as their creations in the history give them (``dictionary(_:)``), so that most of it becomes references into
/// them. The history stays whole on its own: a page's text, which is the value of its creation when it is
/// pushed, is read from the values of other creations, never from the `articles` table.
///
/// The blob: the format byte, the text's length in UTF-8 bytes and its CRC-32 (four bytes each, little-endian),
/// the replica of the creations (a length, then its bytes), their number and sequence numbers, then the number of
/// chunks, each as its length in the page, the start and length of its dictionary (a slice of the articles'
/// texts, at most ``window`` bytes) and the length of its raw deflate; every number but the first two is a
/// LEB128 varint. A page whose articles' texts exceed the window is cut into chunks of ``chunkSize`` bytes, each
/// with the slice of the texts around its place in the page.
package enum PageDictionary {
    /// The most dictionary bytes a chunk uses: zlib's window (32 KiB) less its lookahead, rounded down.
    static let window = 32_000
    /// The page bytes in a chunk, when the articles' texts exceed the window.
    static let chunkSize = 8_192
    /// zlib's level: on newspaper pages as long as the articles' texts, level 3 keeps 25 % fewer bytes than level
    /// 1 at about the same speed (most of the page is long matches).
    static let level: Int32 = 3

    /// A page compressed on the thread that prepares a file, before its articles' creations are numbered.
    package struct Prepared: Sendable {
        /// The text's length in UTF-8 bytes.
        let count: Int
        /// The text's CRC-32.
        let checksum: UInt32
        /// The number of chunks, then the chunks.
        let chunks: [UInt8]
        /// How many articles the dictionary was made of.
        let articles: Int
    }

    /// The bytes that the articles (each its kicker, title, subtitle, byline, dateline and body), in page order,
    /// lend a page.
    static func dictionary(_ articles: [[String]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for fields in articles {
            for field in fields { bytes += field.utf8 }
        }
        return bytes
    }

    /// The fields of an article that the dictionary holds, in its order.
    static func fields(kicker: String, title: String, subtitle: String, byline: String, dateline: String, body: String)
        -> [String]
    {
        [kicker, title, subtitle, byline, dateline, body]
    }

    /// Compresses `text` against the texts of `articles` (see ``dictionary(_:)``); nil when there is no article
    /// or no article text.
    package static func prepare(_ text: String, articles: [[String]]) -> Prepared? {
        let dictionary = dictionary(articles)
        guard !articles.isEmpty, !dictionary.isEmpty else { return nil }
        let page = Array(text.utf8)
        var chunks: [UInt8] = []
        var count = 0
        let ratio = page.isEmpty ? 1 : Double(dictionary.count) / Double(page.count)
        var start = 0
        repeat {
            let end = dictionary.count <= window ? page.count : min(start + chunkSize, page.count)
            // The slice of the dictionary around the chunk's place in the page, centred on it.
            var sliceStart = 0
            var sliceEnd = dictionary.count
            if dictionary.count > window {
                let margin = max(0, (window - Int(Double(end - start) * ratio)) / 2)
                sliceStart = max(0, Int(Double(start) * ratio) - margin)
                sliceEnd = min(dictionary.count, sliceStart + window)
                sliceStart = max(0, sliceEnd - window)
            }
            guard
                let deflated = deflate(
                    page[start..<end], dictionary: dictionary[sliceStart..<sliceEnd])
            else { return nil }
            appendVarint(end - start, to: &chunks)
            appendVarint(sliceStart, to: &chunks)
            appendVarint(sliceEnd - sliceStart, to: &chunks)
            appendVarint(deflated.count, to: &chunks)
            chunks += deflated
            count += 1
            start = end
        } while start < page.count
        var encoded: [UInt8] = []
        appendVarint(count, to: &encoded)
        let checksum = page.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return Prepared(count: page.count, checksum: checksum, chunks: encoded + chunks, articles: articles.count)
    }

    /// The value to store for a prepared page whose articles' creations are `creations` (in page order); nil when
    /// they are not one creation per article of one replica.
    package static func databaseValue(_ prepared: Prepared, creations: [ChangeID]) -> DatabaseValue? {
        guard creations.count == prepared.articles, let replica = creations.first?.replica,
            creations.allSatisfy({ $0.replica == replica && $0.seq > 0 })
        else { return nil }
        var output: [UInt8] = [CompressedText.Format.articleDictionary.rawValue]
        appendFixed(UInt32(prepared.count), to: &output)
        appendFixed(prepared.checksum, to: &output)
        appendVarint(replica.utf8.count, to: &output)
        output += replica.utf8
        appendVarint(creations.count, to: &output)
        for creation in creations { appendVarint(Int(creation.seq), to: &output) }
        output += prepared.chunks
        return Data(output).databaseValue
    }

    /// The text of a blob of this format, its articles' creations read from the history.
    ///
    /// - Throws: ``KBError/Kind/damaged`` when the blob is malformed, a creation is missing or unreadable, or the
    ///   text read differs from the one stored (its length or checksum).
    static func text(_ blob: [UInt8], in db: Database) throws -> String {
        var reader = Reader(bytes: blob, offset: 1)
        let count = Int(try reader.fixed())
        let checksum = try reader.fixed()
        guard count <= CompressedText.maximumLength else { throw damaged() }
        let replica = String(decoding: try reader.take(try reader.varint()), as: UTF8.self)
        let creationCount = try reader.varint()
        var articles: [[String]] = []
        for _ in 0..<creationCount {
            let seq = try reader.varint()
            guard
                let stored = try DatabaseValue.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT value FROM changes
                            WHERE replica = ? AND seq = ? AND entity = 'article' AND op = 'create'
                            """), arguments: [replica, seq])
            else { throw damaged("an article's creation it is made of is missing from the history") }
            let creation = try JSONText.decode(ArticleCreation.self, from: try CompressedText.text(stored))
            articles.append(
                fields(
                    kicker: creation.kicker, title: creation.title, subtitle: creation.subtitle,
                    byline: creation.byline, dateline: creation.dateline, body: creation.body))
        }
        let dictionary = dictionary(articles)
        var page: [UInt8] = []
        page.reserveCapacity(count)
        let chunks = try reader.varint()
        for _ in 0..<chunks {
            let size = try reader.varint()
            let sliceStart = try reader.varint()
            let sliceLength = try reader.varint()
            let deflated = try reader.take(try reader.varint())
            guard size <= count - page.count, sliceLength <= window, sliceStart <= dictionary.count,
                sliceLength <= dictionary.count - sliceStart
            else { throw damaged() }
            page += try inflate(deflated, size: size, dictionary: dictionary[sliceStart..<sliceStart + sliceLength])
        }
        guard reader.isAtEnd, page.count == count,
            page.withUnsafeBufferPointer({ UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }) == checksum
        else { throw damaged("it does not read back as the page imported") }
        guard let text = String(validating: page, as: UTF8.self) else { throw damaged() }
        return text
    }

    /// Stores on their own (``CompressedText/Format/rawDeflate``) the pages that refer to creations of `replica`
    /// numbered after `seq`, before those creations take another replica id and new numbers (a file restored from
    /// an older copy, whose unacknowledged changes are given a new identity when it syncs).
    ///
    /// - Returns: How many pages were rewritten.
    /// - Throws: A database error, or ``KBError/Kind/damaged`` when such a page cannot be read.
    @discardableResult
    package static func storeOnTheirOwn(_ db: Database, referringTo replica: String, after seq: Int64) throws -> Int {
        let rows = try Row.fetchAll(
            db, sql: "SELECT rowid, text FROM sources WHERE typeof(text) = 'blob' AND substr(text, 1, 1) = ?",
            arguments: [Data([CompressedText.Format.articleDictionary.rawValue])])
        var rewritten = 0
        for row in rows {
            let blob = [UInt8](row["text"] as Data)
            let (creationReplica, seqs) = try creations(blob)
            guard creationReplica == replica, seqs.contains(where: { $0 > seq }) else { continue }
            let text = try text(blob, in: db)
            try db.execute(
                sql: "UPDATE sources SET text = ? WHERE rowid = ?",
                arguments: [CompressedText.databaseValue(text), row["rowid"] as Int64])
            rewritten += 1
        }
        return rewritten
    }

    /// The replica and sequence numbers of the creations a blob of this format refers to.
    static func creations(_ blob: [UInt8]) throws -> (replica: String, seqs: [Int64]) {
        var reader = Reader(bytes: blob, offset: 9)
        let replica = String(decoding: try reader.take(try reader.varint()), as: UTF8.self)
        let count = try reader.varint()
        var seqs: [Int64] = []
        for _ in 0..<count { seqs.append(Int64(try reader.varint())) }
        return (replica, seqs)
    }

    // MARK: - Encoding

    private static func deflate(_ input: ArraySlice<UInt8>, dictionary: ArraySlice<UInt8>) -> [UInt8]? {
        input.withUnsafeBufferPointer { input in
            dictionary.withUnsafeBufferPointer { dictionary in
                CompressedText.rawDeflate(input, level: level, dictionary: dictionary, flush: Z_FINISH)
            }
        }
    }

    private static func inflate(_ input: ArraySlice<UInt8>, size: Int, dictionary: ArraySlice<UInt8>) throws
        -> [UInt8]
    {
        // One byte more than expected: a stream that would write more does not end within the space.
        var output = [UInt8](repeating: 0, count: size + 1)
        let result = input.withUnsafeBufferPointer { input in
            dictionary.withUnsafeBufferPointer { dictionary in
                output.withUnsafeMutableBufferPointer { output in
                    CompressedText.rawInflate(input, into: output, dictionary: dictionary)
                }
            }
        }
        guard let result, result.ended, result.written == size, result.left == 0 else { throw damaged() }
        output.removeLast()
        return output
    }

    private static func appendVarint(_ value: Int, to output: inout [UInt8]) {
        var value = UInt64(value)
        while value >= 0x80 {
            output.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }

    private static func appendFixed(_ value: UInt32, to output: inout [UInt8]) {
        for byte in 0..<4 { output.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte)))) }
    }

    /// Reads a blob from its start, throwing on a number or a length that runs past its end.
    private struct Reader {
        let bytes: [UInt8]
        var offset: Int

        var isAtEnd: Bool { offset == bytes.count }

        mutating func fixed() throws -> UInt32 {
            guard bytes.count - offset >= 4 else { throw PageDictionary.damaged() }
            var value: UInt32 = 0
            for byte in 0..<4 { value |= UInt32(bytes[offset + byte]) << (8 * UInt32(byte)) }
            offset += 4
            return value
        }

        mutating func varint() throws -> Int {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.count, shift < 63 else { throw PageDictionary.damaged() }
                let byte = bytes[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            guard value <= UInt64(CompressedText.maximumLength) else { throw PageDictionary.damaged() }
            return Int(value)
        }

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count <= bytes.count - offset else { throw PageDictionary.damaged() }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
    }

    fileprivate static func damaged(_ detail: String? = nil) -> KBError {
        KBError(
            .damaged,
            "An imported page kept as references to its articles cannot be read"
                + (detail.map { " (\($0))" } ?? "") + "; run 'kb check'.")
    }
}
