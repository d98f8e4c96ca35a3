import Foundation
import KB

/// Where output goes and how it looks: color on a terminal unless NO_COLOR, JSON when asked.
enum Terminal {
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    /// True when stdout is a terminal that takes color.
    static var useColor: Bool {
        stdoutIsTerminal && (environment("NO_COLOR") ?? "").isEmpty && environment("TERM") != "dumb"
    }

    /// One environment variable (ProcessInfo builds a dictionary of all of them, slowly).
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    static func printError(_ message: String, prefixed: Bool = true) {
        FileHandle.standardError.write(Data(((prefixed ? "kb: " : "") + message + "\n").utf8))
    }

    static func printErr(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Prints a JSON value (dictionaries, arrays, strings, numbers, NSNull) with sorted keys.
    static func printJSON(_ value: Any) throws {
        JSONWriter.print(value, to: .standardOutput)
    }

    // MARK: - Styles

    static func bold(_ text: String) -> String { useColor ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    static func dim(_ text: String) -> String { useColor ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
    static func yellow(_ text: String) -> String { useColor ? "\u{1B}[33m\(text)\u{1B}[0m" : text }
    static func red(_ text: String) -> String { useColor ? "\u{1B}[31m\(text)\u{1B}[0m" : text }

    /// A colored square before a highlight in listings, on a terminal that takes color; empty otherwise,
    /// and for no color or one that kb does not know (shown plainly).
    static func marker(_ color: HighlightColor?) -> String {
        guard useColor, let color else { return "" }
        return "\u{1B}[\(colorCode(color, background: false))m■\u{1B}[0m "
    }

    /// The escape that starts a highlight in a body: black on the highlight's color, yellow when it has none.
    static func highlightStart(_ color: HighlightColor?) -> String {
        "\u{1B}[\(colorCode(color ?? .yellow, background: true));30m"
    }

    /// An SGR color parameter: 24-bit where the terminal says it takes it (`COLORTERM`), else the nearest
    /// of the 256 colors that nearly every terminal draws.
    static func colorCode(_ color: HighlightColor, background: Bool) -> String {
        let rgb = color.rgb
        let layer = background ? 48 : 38
        if ["truecolor", "24bit"].contains(environment("COLORTERM") ?? "") {
            return "\(layer);2;\(rgb.red);\(rgb.green);\(rgb.blue)"
        }
        return "\(layer);5;\(ansi256(rgb))"
    }

    /// The nearest color of xterm's 6×6×6 cube.
    static func ansi256(_ rgb: (red: UInt8, green: UInt8, blue: UInt8)) -> Int {
        let levels = [0, 95, 135, 175, 215, 255]
        func step(_ value: UInt8) -> Int {
            levels.indices.min { abs(levels[$0] - Int(value)) < abs(levels[$1] - Int(value)) } ?? 0
        }
        return 16 + 36 * step(rgb.red) + 6 * step(rgb.green) + step(rgb.blue)
    }

    /// Marks of a hit: reverse video on a terminal, `**` otherwise.
    static var hitMarks: (String, String) { useColor ? ("\u{1B}[1;33m", "\u{1B}[0m") : ("**", "**") }

    /// Shows a progress line on stderr, overwritten in place (only on a terminal).
    static func progress(_ text: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    static func endProgress() {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// A title as shown: items printed without a headline have none.
    static func title(_ title: String) -> String { title.isEmpty ? "(untitled)" : title }

    /// A text of several lines (a Markdown note) as lines indented under what they belong to: each line
    /// keeps its breaks, blank lines stay blank.
    static func indented(_ text: String, by indent: String = "    ") -> [String] {
        // `\r\n` is one character, a line break as `\n` is.
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { line in
            line.isEmpty ? "" : indent + line
        }
    }

    /// The first `length` characters of a text on one line.
    static func oneLine(_ text: String, length: Int = 60) -> String {
        // Most texts are short and on one line: a text of no more code points than `length` has no more
        // characters either.
        if !text.utf8.contains(0x0A) && text.unicodeScalars.count <= length { return text }
        var result = ""
        var count = 0
        for character in text {
            if count == length { return result + "…" }
            result.append(character == "\n" ? " " : character)
            count += 1
        }
        return result
    }
}

/// Lines for stdout, written in large pieces instead of one call per line.
struct TextOutput {
    private var buffer = ""
    private static let pieceSize = 1 << 16

    mutating func line(_ text: String) {
        buffer += text
        buffer += "\n"
        if buffer.utf8.count >= Self.pieceSize { flush() }
    }

    /// Writes what is buffered.
    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}
