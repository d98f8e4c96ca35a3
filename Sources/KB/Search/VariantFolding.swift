/// Folds traditional and variant forms of CJK characters to one form, so that search finds 頭髮 for 头发.
///
/// The table (``VariantTable``) maps each character to one character, so folding keeps every offset: a
/// folded text has as many code points as the text, each where it was.
///
/// ```swift
/// VariantFolding.fold(0x982D)  // 頭 → 0x5934 头
/// ```
public enum VariantFolding {
    /// The first code point of the dense part of the table (CJK Extension A).
    private static let denseStart: UInt32 = 0x3400
    /// Just past the dense part (the CJK Compatibility Ideographs end at U+FAFF).
    private static let denseEnd: UInt32 = 0xFB00

    /// Folded forms of the BMP's CJK characters, 0 where a character stays as it is.
    private static let dense: [UInt32] = {
        var table = [UInt32](repeating: 0, count: Int(denseEnd - denseStart))
        for (from, to) in pairs where from >= denseStart && from < denseEnd {
            table[Int(from - denseStart)] = to
        }
        return table
    }()

    /// Folded forms of characters outside the dense part.
    private static let sparse: [UInt32: UInt32] = {
        var table: [UInt32: UInt32] = [:]
        for (from, to) in pairs where from < denseStart || from >= denseEnd { table[from] = to }
        return table
    }()

    /// The table's pairs, read once: decoded straight from the literal's UTF-8, which every search needs and
    /// which costs several times more through its scalar view.
    private static let pairs: [(UInt32, UInt32)] = {
        var table = VariantTable.pairs
        return table.withUTF8 { bytes in
            // Every character takes one byte or more: half the bytes is room enough.
            [(UInt32, UInt32)](unsafeUninitializedCapacity: bytes.count / 2) { buffer, count in
                count = 0
                var index = 0
                var pending: UInt32?
                while index < bytes.count {
                    let lead = bytes[index]
                    let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                    var value = UInt32(lead & (length == 1 ? 0x7F : length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07))
                    for offset in 1..<length where index + offset < bytes.count {
                        value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
                    }
                    index += length
                    if let from = pending {
                        buffer[count] = (from, value)
                        count += 1
                        pending = nil
                    } else {
                        pending = value
                    }
                }
            }
        }
    }()

    /// Calls `body` with each pair of the table: a form and the form it folds to.
    static func forEachPair(_ body: (_ from: UInt32, _ to: UInt32) -> Void) {
        for (from, to) in pairs { body(from, to) }
    }

    /// The forms of a character that fold to the same one as it does: 发 gives 发, 髮, 發 (in the table's order
    /// after the folded one); a character with no other form gives itself.
    public static func forms(of value: UInt32) -> [UInt32] {
        // One pass over the pairs: a search asks for the forms of a character or two, never enough to pay for a table
        // of every character's forms.
        let folded = fold(value)
        var result = [folded]
        for (from, to) in pairs where to == folded { result.append(from) }
        return result
    }

    /// The characters other than `value` that fold as it does (发 gives 髮 and 發, 髮 gives 发 and 發), found
    /// in one pass over the pairs.
    public static func otherForms(of value: UInt32) -> [UInt32] {
        let folded = fold(value)
        var result: [UInt32] = folded == value ? [] : [folded]
        for (from, to) in pairs where to == folded && from != value { result.append(from) }
        return result
    }

    /// Names the table in use: stored with the index, which is built again when it differs.
    public static var version: String { VariantTable.version }

    /// The folded form of a code point (itself when the table has none).
    @inline(__always)
    public static func fold(_ value: UInt32) -> UInt32 {
        if value >= denseStart && value < denseEnd {
            let folded = dense[Int(value - denseStart)]
            return folded == 0 ? value : folded
        }
        if value < 0x20000 { return value }
        return sparse[value] ?? value
    }

    /// A string with every character folded.
    public static func fold(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(Unicode.Scalar(fold(scalar.value)) ?? scalar)
        }
        return String(scalars)
    }
}
