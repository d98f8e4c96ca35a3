import Foundation

/// File names of exported articles: a readable slug of the title and a short id, both made safe.
///
/// A name is always one path component: no `/` or `\`, no `.` or `..`, no NUL or other control or format
/// characters, no leading dot (a hidden file), and at most ``maxTitleBytes`` bytes of title, cut between
/// characters, so that the whole name stays far below the 255 bytes file systems allow. CJK titles stay
/// as they are written.
///
/// ```swift
/// ExportFileName.make(title: "非遗技艺: 交流/活动", id: "0c82636a8329b8b7aa00ff11")
/// // "非遗技艺 交流 活动 (0c82636a).md"
/// ```
public enum ExportFileName {
    /// The most UTF-8 bytes of a title kept in a file name.
    public static let maxTitleBytes = 150

    /// Characters that have a meaning in paths, shells, Markdown links or wiki links, or that some file
    /// systems refuse.
    static let separators: Set<Unicode.Scalar> = Set("/\\:*?\"<>|#^[]".unicodeScalars)

    /// The file name of an article: `SLUG (SHORT).md`, or `(SHORT).md` for an article without a title.
    ///
    /// - Parameters:
    ///   - title: The article's title.
    ///   - id: The article's id, as stored (it may come from anywhere).
    ///   - copy: 1 for the first file with this name, 2, 3… for later ones.
    /// - Returns: One safe path component.
    public static func make(title: String, id: String, copy: Int = 1) -> String {
        let slug = slug(title)
        let stem = (slug.isEmpty ? "" : slug + " ") + "(\(shortID(id)))"
        return stem + (copy > 1 ? " \(copy)" : "") + ".md"
    }

    /// The short id shown in a file name: the first digits of an id that is lowercase hex, as kb makes them;
    /// for any other id, 8 hex digits of its SHA-256, so that nothing of a foreign id reaches the file system.
    public static func shortID(_ id: String) -> String {
        let isHex =
            id.utf8.count >= 8 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        return isHex ? Identifier.short(id) : String(Identifier.sha256Hex(id.utf8).prefix(8))
    }

    /// A title as a file-name fragment: separators, control and format characters become spaces, spaces are
    /// collapsed, leading dots and spaces and trailing dots and spaces removed, and the text cut to
    /// ``maxTitleBytes`` bytes between two characters.
    public static func slug(_ title: String) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in title.unicodeScalars {
            if isDropped(scalar) || scalar.properties.isWhitespace {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if scalars.isEmpty && scalar == "." { continue }
            if pendingSpace {
                scalars.append(" ")
                pendingSpace = false
            }
            scalars.append(scalar)
        }
        var result = ""
        var bytes = 0
        for character in String(scalars) {
            let size = character.utf8.count
            guard bytes + size <= maxTitleBytes else { break }
            result.append(character)
            bytes += size
        }
        while let last = result.unicodeScalars.last, last == "." || last == " " {
            result.unicodeScalars.removeLast()
        }
        return result
    }

    /// True for scalars that never appear in a name.
    static func isDropped(_ scalar: Unicode.Scalar) -> Bool {
        if separators.contains(scalar) { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
            return true
        default:
            return false
        }
    }

    /// True when `name` is one component that names a file inside a folder: not empty, not `.` or `..`,
    /// no `/`, no NUL, no leading dot, at most 255 bytes.
    public static func isSafe(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return !bytes.isEmpty && bytes.count <= 255 && bytes.first != UInt8(ascii: ".")
            && !bytes.contains(UInt8(ascii: "/")) && !bytes.contains(0)
    }
}
