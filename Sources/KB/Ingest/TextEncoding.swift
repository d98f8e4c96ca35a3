import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The character encoding of a text file, as `kb import` recognizes it or is told it (`--encoding NAME`).
///
/// UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark are recognized from the
/// bytes; GB18030 (which covers GB2312 and GBK) and Big5 are recognized when the bytes are not UTF-8 and
/// fit one of them clearly. Any other encoding the system's iconv knows can be named.
///
/// ```swift
/// TextEncoding(name: "gbk")      // .gb18030: GBK text reads the same as GB18030
/// TextEncoding(name: "latin1")   // .named("LATIN1")
/// ```
public enum TextEncoding: Sendable, Hashable, CustomStringConvertible {
    case utf8
    case utf16LittleEndian
    case utf16BigEndian
    /// GB18030, a superset of GBK and GB2312.
    case gb18030
    /// Big5 (Traditional Chinese, as used in Taiwan and Hong Kong).
    case big5
    /// Any other encoding, by its iconv name, upper-cased.
    case named(String)

    /// The encoding a user names: common names of the encodings above map to them
    /// (`gbk`, `gb2312`, `cp936`, `euc-cn` → ``gb18030``; `cp950` → ``big5``; `utf8` → ``utf8``).
    ///
    /// - Parameter name: An encoding name, in any case.
    public init(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
        switch key {
        case "utf-8", "utf8": self = .utf8
        case "utf-16le", "utf16le": self = .utf16LittleEndian
        case "utf-16be", "utf16be": self = .utf16BigEndian
        case "gb18030", "gbk", "gb2312", "cp936", "euc-cn", "euccn", "gb-2312", "936": self = .gb18030
        case "big5", "big-5", "cp950", "950": self = .big5
        default: self = .named(name.uppercased())
        }
    }

    /// True when the system's iconv can convert from it.
    public var isAvailable: Bool {
        guard let converter = iconv_open("UTF-8", iconvName), converter != iconv_t(bitPattern: -1) else { return false }
        iconv_close(converter)
        return true
    }

    /// The name iconv knows it by.
    var iconvName: String {
        switch self {
        case .utf8: "UTF-8"
        case .utf16LittleEndian: "UTF-16LE"
        case .utf16BigEndian: "UTF-16BE"
        case .gb18030: "GB18030"
        case .big5: "BIG5"
        case .named(let name): name
        }
    }

    /// The name shown to users and in `kb import --json` (`"utf-8"`, `"gb18030"`, …).
    public var description: String {
        switch self {
        case .utf8: "utf-8"
        case .utf16LittleEndian: "utf-16le"
        case .utf16BigEndian: "utf-16be"
        case .gb18030: "gb18030"
        case .big5: "big5"
        case .named(let name): name.lowercased()
        }
    }
}

// MARK: - Codable

extension TextEncoding: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(name: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Turns the bytes of a text file into text: finds the encoding, or uses the one given.
///
/// ```swift
/// let decoded = try TextDecoder.decode(bytes, path: "page.txt")
/// decoded.encoding   // .gb18030
/// ```
public enum TextDecoder {
    /// Text and the encoding it was read in.
    public struct Decoded: Sendable, Equatable {
        public var text: String
        public var encoding: TextEncoding
        /// True when the file began with a byte-order mark (dropped from the text).
        public var hadByteOrderMark: Bool
    }

    /// When bytes are valid both as GB18030 and as Big5, the least share of the two-byte characters that must
    /// be common ones (punctuation and the frequent characters of the encoding) for one to be taken.
    static let plausibleShare = 0.8
    /// When both GB18030 and Big5 fit, the lead of one's share of common characters over the other's that
    /// makes it the clear choice; a smaller lead leaves the choice to the user.
    static let clearLead = 0.2
    /// Bytes with at least this many valid multi-byte UTF-8 characters for each invalid sequence are UTF-8
    /// text with damage, not text in another encoding.
    static let damagedUTF8Ratio = 20
    /// The most control characters (other than tab, line and page breaks) per thousand characters that
    /// text may hold: more is a binary file.
    static let controlsPerThousand = 5

    /// Decodes a file's bytes.
    ///
    /// Without `forced`: a UTF-8 or UTF-16 byte-order mark decides; else valid UTF-8 is UTF-8; else
    /// GB18030 and Big5 are tried, and the one the bytes fit clearly is taken.
    ///
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: The file, for messages.
    ///   - forced: The encoding to read it in (`--encoding`), or nil to recognize it.
    /// - Returns: The text (without a byte-order mark) and its encoding.
    /// - Throws: ``KBError`` `.unreadableFile` for an empty or binary file, bytes that fit no encoding kb
    ///   recognizes or fit two, or bytes that are not valid in the forced encoding; `.invalidArgument` for
    ///   a forced encoding the system does not know.
    public static func decode(_ bytes: [UInt8], path: String, forced: TextEncoding? = nil) throws -> Decoded {
        let decoded = try forced.map { try decode(bytes, path: path, as: $0) } ?? recognize(bytes, path: path)
        if decoded.text.allSatisfy(\.isWhitespace) {
            throw KBError(.unreadableFile, "'\(path)' is empty; there is nothing to import.")
        }
        try rejectBinary(decoded.text, path: path, encoding: decoded.encoding)
        return decoded
    }

    /// Decodes in a given encoding; a byte-order mark of that encoding is dropped.
    private static func decode(_ bytes: [UInt8], path: String, as encoding: TextEncoding) throws -> Decoded {
        var body = bytes[...]
        var hadMark = false
        let mark: [UInt8]? =
            switch encoding {
            case .utf8: [0xEF, 0xBB, 0xBF]
            case .utf16LittleEndian: [0xFF, 0xFE]
            case .utf16BigEndian: [0xFE, 0xFF]
            default: nil
            }
        if let mark, body.starts(with: mark) {
            body = body.dropFirst(mark.count)
            hadMark = true
        }
        do {
            switch try convert(body, from: encoding) {
            case .text(let text):
                return Decoded(text: text, encoding: encoding, hadByteOrderMark: hadMark)
            case .invalid(let offset):
                throw KBError(
                    .unreadableFile,
                    "'\(path)' is not valid \(encoding) text (a bad byte at offset "
                        + "\(offset + (hadMark ? mark?.count ?? 0 : 0))); check the encoding, or give another with "
                        + "--encoding NAME.")
            }
        } catch let error as UnknownEncoding {
            throw KBError(
                .invalidArgument,
                "The encoding '\(error.name)' is not known to this system; try utf-8, gb18030, big5, utf-16le, "
                    + "utf-16be, or a name from 'iconv -l'.")
        }
    }

    /// Finds the encoding of bytes.
    private static func recognize(_ bytes: [UInt8], path: String) throws -> Decoded {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return try decode(bytes, path: path, as: .utf8) }
        if bytes.starts(with: [0xFF, 0xFE]) { return try decode(bytes, path: path, as: .utf16LittleEndian) }
        if bytes.starts(with: [0xFE, 0xFF]) { return try decode(bytes, path: path, as: .utf16BigEndian) }
        if let nul = bytes.firstIndex(of: 0) {
            throw KBError(
                .unreadableFile,
                "'\(path)' is a binary file (a NUL byte at offset \(nul)), not text; kb imports text (.txt, .md) "
                    + "and PDF files.")
        }
        if let text = String(validating: bytes, as: UTF8.self) {
            return Decoded(text: text, encoding: .utf8, hadByteOrderMark: false)
        }
        let badUTF8 = DocumentReader.firstInvalidUTF8Offset(bytes)
        // UTF-8 text with a few bad bytes (cut in the middle of a character, damaged) is damaged UTF-8,
        // not text in another encoding that happens to decode.
        let (valid, invalid) = utf8Sequences(bytes)
        if invalid * damagedUTF8Ratio <= valid {
            throw KBError(
                .unreadableFile,
                "'\(path)' is not valid UTF-8 (a bad byte at offset \(badUTF8) of UTF-8 text); repair or convert it "
                    + "and import it again, or give its encoding with --encoding NAME.")
        }
        var fits: [(encoding: TextEncoding, text: String, share: Double)] = []
        for encoding in [TextEncoding.gb18030, .big5] {
            guard let text = (try? convert(bytes[...], from: encoding))?.text else { continue }
            fits.append((encoding, text, commonShare(bytes, in: encoding)))
        }
        fits.sort { $0.share > $1.share }
        // Bytes valid in one encoding only are in that one (traditional text in GBK has few GB2312
        // characters); bytes valid in both are in the one whose common characters they clearly are.
        if let best = fits.first,
            fits.count == 1 || (best.share >= plausibleShare && best.share - fits[1].share >= clearLead)
        {
            return Decoded(text: best.text, encoding: best.encoding, hadByteOrderMark: false)
        }
        let name = (path as NSString).lastPathComponent
        if fits.count > 1 {
            throw KBError(
                .unreadableFile,
                "'\(path)' is not UTF-8 and reads as both GB18030 and Big5 text; give its encoding, as in "
                    + "'kb import --encoding gb18030 \(name)' or '--encoding big5'.")
        }
        throw KBError(
            .unreadableFile,
            "'\(path)' is not valid UTF-8 (a bad byte at offset \(badUTF8)), nor UTF-16, GB18030 or Big5 text "
                + "(tried all four); if you know its encoding, give it, as in 'kb import --encoding NAME \(name)'.")
    }

    /// Rejects decoded text that holds many control characters: a binary file that happened to decode.
    private static func rejectBinary(_ text: String, path: String, encoding: TextEncoding) throws {
        var controls = 0
        var count = 0
        for scalar in text.unicodeScalars {
            count += 1
            if scalar.value < 0x20 && scalar != "\n" && scalar != "\r" && scalar != "\t" && scalar != "\u{0C}" {
                controls += 1
            }
        }
        if controls * 1000 > max(count, 1) * controlsPerThousand {
            throw KBError(
                .unreadableFile,
                "'\(path)' is a binary file (\(controls) control characters read as \(encoding)), not text; "
                    + "kb imports text (.txt, .md) and PDF files.")
        }
    }

    // MARK: - Plausibility

    /// The valid multi-byte UTF-8 characters and the invalid sequences in bytes.
    static func utf8Sequences(_ bytes: [UInt8]) -> (valid: Int, invalid: Int) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var valid = 0
        var invalid = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): if !scalar.isASCII { valid += 1 }
            case .emptyInput: return (valid, invalid)
            case .error: invalid += 1
            }
        }
    }

    /// The share of the two-byte characters of legacy-encoded bytes that are common in that encoding.
    ///
    /// Common in GB18030 (GB2312): punctuation (lead bytes A1–A3) and the Chinese characters of GB2312
    /// (leads B0–F7), both with a trail byte A1–FE. Common in Big5: punctuation (leads A1–A3) and the
    /// frequent characters (leads A4–C6). Big5 text read as GB18030 falls mostly outside the first set
    /// (its most frequent characters have leads A4–AF, kana and unused rows in GB2312, or trail bytes
    /// below 80), and GB2312 text read as Big5 falls partly in its rare characters (leads C7–F9).
    /// Four-byte GB18030 sequences count as uncommon. Text with no two-byte character scores 1.
    static func commonShare(_ bytes: [UInt8], in encoding: TextEncoding) -> Double {
        var total = 0
        var common = 0
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            guard lead >= 0x81, index + 1 < bytes.count else {
                index += 1
                continue
            }
            let trail = bytes[index + 1]
            if encoding == .gb18030, (0x30...0x39).contains(trail) {
                total += 1
                index += 4
                continue
            }
            total += 1
            index += 2
            switch encoding {
            case .gb18030:
                if (0xA1...0xFE).contains(trail), (0xA1...0xA3).contains(lead) || (0xB0...0xF7).contains(lead) {
                    common += 1
                }
            case .big5:
                if (0x40...0x7E).contains(trail) || (0xA1...0xFE).contains(trail), (0xA1...0xC6).contains(lead) {
                    common += 1
                }
            default:
                common += 1
            }
        }
        return total == 0 ? 1 : Double(common) / Double(total)
    }

    // MARK: - iconv

    /// An encoding name iconv does not know.
    struct UnknownEncoding: Error {
        var name: String
    }

    /// What a strict conversion gave: the text, or the offset of the first byte sequence that does not fit.
    enum Conversion {
        case text(String)
        case invalid(offset: Int)

        var text: String? {
            if case .text(let text) = self { text } else { nil }
        }
    }

    /// Converts bytes to text with iconv, strictly: an invalid or incomplete byte sequence stops it.
    ///
    /// - Throws: ``UnknownEncoding`` when iconv does not know the encoding.
    static func convert(_ bytes: ArraySlice<UInt8>, from encoding: TextEncoding) throws -> Conversion {
        if encoding == .utf8 {
            if let text = String(validating: bytes, as: UTF8.self) { return .text(text) }
            return .invalid(offset: DocumentReader.firstInvalidUTF8Offset(Array(bytes)))
        }
        guard let converter = iconv_open("UTF-8", encoding.iconvName), converter != iconv_t(bitPattern: -1) else {
            throw UnknownEncoding(name: encoding.iconvName)
        }
        defer { iconv_close(converter) }
        var input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 2 + 16)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var inputLeft = input.count
        var consumed = 0
        // The last round (input empty) flushes what a stateful encoding holds back.
        var flushed = false
        while !flushed {
            flushed = inputLeft == 0
            var outputLeft = chunk.count
            let result = input.withUnsafeMutableBytes { inputBuffer in
                chunk.withUnsafeMutableBytes { chunkBuffer in
                    var outputPointer: UnsafeMutablePointer<CChar>? = chunkBuffer.baseAddress?.assumingMemoryBound(
                        to: CChar.self)
                    guard !flushed else { return iconv(converter, nil, nil, &outputPointer, &outputLeft) }
                    var inputPointer: UnsafeMutablePointer<CChar>? = inputBuffer.baseAddress.map {
                        ($0 + consumed).assumingMemoryBound(to: CChar.self)
                    }
                    let before = inputLeft
                    let result = iconv(converter, &inputPointer, &inputLeft, &outputPointer, &outputLeft)
                    consumed += before - inputLeft
                    return result
                }
            }
            let code = errno
            output.append(contentsOf: chunk[0..<(chunk.count - outputLeft)])
            if result == -1 && code != E2BIG { return .invalid(offset: consumed) }
            if result == -1 { flushed = false }
        }
        guard let text = String(validating: output, as: UTF8.self) else { return .invalid(offset: 0) }
        return .text(text)
    }
}
