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

    /// The table's part for the BMP's CJK characters: a bit per character says whether it folds.
    ///
    /// The characters that do are found in a sorted list. A table of every character's folded form would be
    /// 200 KB, which a search process pays for in page faults before its first result.
    private struct Dense {
        /// Bit k of word w is set when `denseStart + 64 × w + k` folds to another character.
        var folds: [UInt64]
        /// The characters that fold, in order, and what each folds to.
        var from: [UInt32]
        var to: [UInt32]

        init(_ pairs: [(UInt32, UInt32)]) {
            folds = [UInt64](repeating: 0, count: Int(denseEnd - denseStart + 63) / 64)
            from = []
            to = []
            from.reserveCapacity(pairs.count)
            to.reserveCapacity(pairs.count)
            var inOrder = true
            for (character, folded) in pairs where character >= denseStart && character < denseEnd {
                if let last = from.last, last >= character { inOrder = false }
                from.append(character)
                to.append(folded)
                let offset = Int(character - denseStart)
                folds[offset >> 6] |= 1 << UInt64(offset & 63)
            }
            // The generated table is in order; one that is not is put in order here.
            if !inOrder {
                let order = from.indices.sorted { from[$0] < from[$1] }
                (from, to) = (order.map { from[$0] }, order.map { to[$0] })
            }
        }

        /// What `value` folds to; `value` itself when it does not fold.
        @inline(__always)
        func fold(_ value: UInt32) -> UInt32 {
            let offset = Int(value - denseStart)
            guard folds[offset >> 6] & (1 << UInt64(offset & 63)) != 0 else { return value }
            var (low, high) = (0, from.count)
            while low < high {
                let middle = (low + high) / 2
                if from[middle] < value { low = middle + 1 } else { high = middle }
            }
            return low < from.count && from[low] == value ? to[low] : value
        }
    }

    private static let dense = Dense(pairs)

    /// Folded forms of characters outside the dense part.
    private static let sparse: [UInt32: UInt32] = {
        var table: [UInt32: UInt32] = [:]
        for (from, to) in pairs where from < denseStart || from >= denseEnd { table[from] = to }
        return table
    }()

    /// The table's pairs, read once: decoded straight from the literal's UTF-8 (which is valid, being a
    /// string's), as every search needs them and their scalar view costs several times more.
    private static let pairs: [(UInt32, UInt32)] = {
        var table = VariantTable.pairs
        return table.withUTF8 { bytes in
            // Every character takes one byte or more: half the bytes is room enough.
            [(UInt32, UInt32)](unsafeUninitializedCapacity: bytes.count / 2) { buffer, count in
                count = 0
                var index = 0
                var pending: UInt32?
                while index < bytes.count {
                    let lead = UInt32(bytes[index])
                    let value: UInt32
                    if lead < 0x80 {
                        value = lead
                        index += 1
                    } else if lead < 0xE0 {
                        value = (lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                        index += 2
                    } else if lead < 0xF0 {
                        value =
                            (lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6
                            | UInt32(bytes[index + 2] & 0x3F)
                        index += 3
                    } else {
                        value =
                            (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                            | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
                        index += 4
                    }
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
        if value >= denseStart && value < denseEnd { return dense.fold(value) }
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
