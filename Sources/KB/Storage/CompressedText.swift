internal import CZlib
import Foundation
public import GRDB

/// Text that is rarely read, kept compressed in the file: the pages as imported (`sources.text`) and the long
/// values of the history (`changes.value`: an article's creation, an edited body).
///
/// A text of ``threshold`` bytes or more is stored as a blob: one format byte (``Format``), the text's length
/// in UTF-8 bytes (four bytes, little-endian), then the text as raw deflate (zlib's fastest level: on
/// newspaper pages it keeps about 53 % of the bytes, at three to four times the speed of the default level
/// for about 5 % more). A shorter text, and every text written before kb compressed, is stored as text;
/// reading takes either.
package enum CompressedText {
    /// Texts shorter than this (in UTF-8 bytes) are stored as they are: compressing gains little on them.
    package static let threshold = 512

    /// The first byte of a compressed text: how the rest is encoded.
    enum Format: UInt8 {
        /// The length, then raw deflate.
        case rawDeflate = 1
        /// The page as references to its articles' creations (``PageDictionary``): read with
        /// ``text(_:in:)``.
        case articleDictionary = 2
    }

    /// The largest text a blob may claim to hold (SQLite's default limit on a value's length).
    static let maximumLength = 1_000_000_000

    /// The value to store for `text`.
    package static func databaseValue(_ text: String) -> DatabaseValue {
        let count = text.utf8.count
        guard count >= threshold else { return text.databaseValue }
        var text = text
        let compressed = text.withUTF8 { deflate($0, finish: true) }
        guard let compressed, compressed.count + headerSize < count else { return text.databaseValue }
        return Data(compressed).databaseValue
    }

    /// The text a stored value holds.
    ///
    /// - Throws: ``KBError/Kind/damaged`` when a blob is not one this type wrote.
    package static func text(_ value: DatabaseValue) throws -> String {
        switch value.storage {
        case .string(let text): return text
        case .blob(let data): return try inflate(Array(data))
        case .null: return ""
        default: throw damaged()
        }
    }

    /// The text a stored value holds, a page kept as references to its articles' creations
    /// (``PageDictionary``) included: those are read from the history in `db`.
    ///
    /// - Throws: ``KBError/Kind/damaged`` when a blob cannot be read back as the text stored.
    package static func text(_ value: DatabaseValue, in db: Database) throws -> String {
        if case .blob(let data) = value.storage, data.first == Format.articleDictionary.rawValue {
            return try PageDictionary.text(Array(data), in: db)
        }
        return try text(value)
    }

    /// The start of a text compressed ahead of the rest, which is known later (the time of an article's creation,
    /// stamped in the transaction that stores it): see ``databaseValue(_:then:)``.
    package struct Head: Sendable {
        /// Raw deflate of the head, ended by a sync flush: the next block starts on a byte.
        let deflated: [UInt8]
        /// The head's length in UTF-8 bytes.
        let count: Int
    }

    /// Compresses the start of a text whose rest comes later; nil when it is too short to gain.
    package static func head(_ text: String) -> Head? {
        var text = text
        let count = text.utf8.count
        guard count >= threshold else { return nil }
        return text.withUTF8 { input in
            deflate(input, finish: false).map { Head(deflated: $0, count: count) }
        }
    }

    /// The value to store for `head`'s text followed by `rest`: the rest is appended as stored (uncompressed)
    /// deflate blocks, the last one final, so the whole reads back as one text.
    package static func databaseValue(_ head: Head, then rest: String) -> DatabaseValue {
        let restBytes = Array(rest.utf8)
        var output = header(count: head.count + restBytes.count)
        output.reserveCapacity(headerSize + head.deflated.count + restBytes.count + 5 * (restBytes.count / 65_535 + 1))
        output += head.deflated
        var start = 0
        repeat {
            let end = min(start + 65_535, restBytes.count)
            let size = UInt16(end - start)
            // BFINAL on the last block, BTYPE 00 (stored); LEN and its one's complement, little-endian.
            output.append(end == restBytes.count ? 1 : 0)
            output += [UInt8(size & 0xFF), UInt8(size >> 8), UInt8(~size & 0xFF), UInt8(~size >> 8)]
            output += restBytes[start..<end]
            start = end
        } while start < restBytes.count
        return Data(output).databaseValue
    }

    // MARK: - Encoding

    private static let headerSize = 5

    /// The format byte and the text's length in UTF-8 bytes (little-endian), before the deflated bytes.
    private static func header(count: Int) -> [UInt8] {
        let length = UInt32(count)
        return [Format.rawDeflate.rawValue] + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * UInt32($0))) }
    }

    /// Raw deflate of `input`: with the header (format and length) and ended when `finish`, else without the
    /// header and ended by a sync flush.
    private static func deflate(_ input: UnsafeBufferPointer<UInt8>, finish: Bool) -> [UInt8]? {
        guard let deflated = rawDeflate(input, level: Z_BEST_SPEED, flush: finish ? Z_FINISH : Z_SYNC_FLUSH)
        else { return nil }
        return finish ? header(count: input.count) + deflated : deflated
    }

    private static func inflate(_ blob: [UInt8]) throws -> String {
        guard blob.count > headerSize, blob[0] == Format.rawDeflate.rawValue else { throw damaged() }
        var length = 0
        for byte in 0..<4 { length |= Int(blob[1 + byte]) << (8 * byte) }
        guard length <= maximumLength else { throw damaged() }
        var ok = false
        let text = String(unsafeUninitializedCapacity: length) { output in
            blob.withUnsafeBufferPointer { input in
                let result = rawInflate(UnsafeBufferPointer(rebasing: input[headerSize...]), into: output)
                ok = result?.ended == true && result?.written == length
            }
            return ok ? length : 0
        }
        guard ok else { throw damaged() }
        return text
    }

    /// Raw deflate of `input` at `level`, after zlib's preset `dictionary` when one is given, ended by `flush`
    /// (`Z_FINISH`, or `Z_SYNC_FLUSH` for a head whose rest comes later); nil when zlib fails.
    static func rawDeflate(
        _ input: UnsafeBufferPointer<UInt8>, level: Int32, dictionary: UnsafeBufferPointer<UInt8>? = nil,
        flush: Int32
    ) -> [UInt8]? {
        var stream = z_stream()
        guard kb_deflate_init_raw(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        if let dictionary, !dictionary.isEmpty {
            guard deflateSetDictionary(&stream, dictionary.baseAddress, uInt(dictionary.count)) == Z_OK else {
                return nil
            }
        }
        // A sync flush adds an empty stored block (five bytes) to what deflateBound allows.
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 16
        var output = [UInt8](repeating: 0, count: bound)
        let status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            stream.next_out = buffer.baseAddress
            stream.avail_out = uInt(bound)
            return CZlib.deflate(&stream, flush)
        }
        guard status == (flush == Z_FINISH ? Z_STREAM_END : Z_OK), stream.avail_in == 0 else { return nil }
        output.removeLast(bound - Int(stream.total_out))
        return output
    }

    /// Raw inflate of `input` into `output`, after zlib's preset `dictionary` when one is given: whether the
    /// stream ended, the bytes written and the input bytes left; nil when zlib refuses the start or the dictionary.
    static func rawInflate(
        _ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>,
        dictionary: UnsafeBufferPointer<UInt8>? = nil
    ) -> (ended: Bool, written: Int, left: Int)? {
        var stream = z_stream()
        guard kb_inflate_init_raw(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        if let dictionary, !dictionary.isEmpty {
            guard inflateSetDictionary(&stream, dictionary.baseAddress, uInt(dictionary.count)) == Z_OK else {
                return nil
            }
        }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress
        stream.avail_out = uInt(output.count)
        let status = CZlib.inflate(&stream, Z_FINISH)
        return (status == Z_STREAM_END, Int(stream.total_out), Int(stream.avail_in))
    }

    private static func damaged() -> KBError {
        KBError(.damaged, "A compressed text in the knowledge base cannot be read; run 'kb check'.")
    }
}
