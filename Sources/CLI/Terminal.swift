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
