import Foundation

/// Reads the text of a PDF file with poppler's `pdftotext -bbox-layout`: every word with its box, page by page.
///
/// ```swift
/// let document = try PDFReader.read(path: "page.pdf")
/// document.pages.map(\.number)   // [1, 2]
/// document.pages[0].text(readAs: nil).kind  // .pdfPage
/// ```
public enum PDFReader {
    /// The program that extracts the text: `pdftotext` found on `PATH`.
    static let program = "pdftotext"

    /// A PDF file's text, page by page.
    public struct Document: Sendable {
        /// What the file says of itself (its information dictionary).
        public var metadata: PDFInfo
        /// The pages that hold text, in order.
        public var pages: [PDFPageText]

        /// The metadata with the header lines of one page.
        func info(of page: PDFPageText) -> PDFInfo {
            var info = metadata
            info.header = page.header
            return info
        }
    }

    /// Extracts and lays out the text of every page of a PDF file.
    ///
    /// - Parameter path: The PDF file.
    /// - Returns: Its pages that hold text, laid out (see ``PDFLayout``).
    /// - Throws: ``KBError`` `.unreadableFile` when pdftotext is not installed, cannot read the file, or the
    ///   file holds no text.
    public static func read(path: String) throws -> Document {
        let output = try run(path: path)
        var (metadata, pages) = parse(output)
        metadata.pageCount = max(metadata.pageCount, pages.count)
        let laidOut = pages.filter { !$0.lines.isEmpty }.map { PDFLayout.lay($0) }
        guard !laidOut.isEmpty else {
            throw KBError(
                .unreadableFile,
                "'\(path)' holds no text, only images (a scanned page needs OCR first); kb imports PDF files with "
                    + "a text layer.")
        }
        return Document(metadata: metadata, pages: laidOut)
    }

    /// Runs pdftotext on a file: its XHTML output.
    static func run(path: String) throws -> String {
        guard let executable = locate(program) else {
            throw KBError(
                .unreadableFile,
                "'\(path)' is a PDF file, and reading it needs pdftotext, which is not installed; install it with "
                    + "'apt-get install poppler-utils' and import the file again.")
        }
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent(
                "kb-pdftotext-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-bbox-layout", "-enc", "UTF-8", "-q", path, output.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KBError(
                .unreadableFile, "'\(path)' could not be read: pdftotext did not start (\(error.localizedDescription))."
            )
        }
        // readToEnd throws where readDataToEndOfFile would trap (an interrupted read).
        let message = String(decoding: (try? errors.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: output.path) else {
            let detail = message.split(separator: "\n").first.map { ": \($0)" } ?? ""
            let why =
                process.terminationStatus == 3
                ? "it is encrypted and may not be copied" : "pdftotext could not read it\(detail)"
            throw KBError(
                .unreadableFile, "'\(path)' is not a PDF file kb can read (\(why)); check that the file is whole.")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The full path of a program on `PATH`.
    static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    // MARK: - Parsing

    /// Reads pdftotext's XHTML: one element per line, as pdftotext writes it.
    static func parse(_ xhtml: String) -> (PDFInfo, [PDFPageWords]) {
        var info = PDFInfo(pageCount: 0)
        var pages: [PDFPageWords] = []
        var line: [PDFWord] = []
        for raw in xhtml.split(separator: "\n") {
            let text = raw.drop { $0 == " " }
            if text.hasPrefix("<word ") {
                guard let box = box(in: text), let open = text.firstIndex(of: ">"),
                    let close = text.range(of: "</word>", options: .backwards)
                else { continue }
                let word = unescape(text[text.index(after: open)..<close.lowerBound])
                if !word.isEmpty { line.append(PDFWord(text: word, box: box)) }
            } else if text.hasPrefix("</line>") {
                if !line.isEmpty, !pages.isEmpty { pages[pages.count - 1].lines.append(line) }
                line = []
            } else if text.hasPrefix("<page ") {
                pages.append(
                    PDFPageWords(
                        number: pages.count + 1, width: attribute("width", in: text) ?? 0,
                        height: attribute("height", in: text) ?? 0, lines: []))
            } else if text.hasPrefix("<title>"), let end = text.range(of: "</title>") {
                let title = unescape(text[text.index(text.startIndex, offsetBy: 7)..<end.lowerBound])
                info.title = title.isEmpty ? nil : title
            } else if text.hasPrefix("<meta name=\""), let name = quoted("name", in: text),
                let content = quoted("content", in: text), !content.isEmpty
            {
                switch name {
                case "Author": info.author = content
                case "Subject": info.subject = content
                case "Producer": info.producer = content
                case "CreationDate": info.creationDate = content
                default: break
                }
            }
        }
        info.pageCount = pages.count
        return (info, pages)
    }

    private static func box(in element: Substring) -> PDFBox? {
        guard let xMin = attribute("xMin", in: element), let yMin = attribute("yMin", in: element),
            let xMax = attribute("xMax", in: element), let yMax = attribute("yMax", in: element)
        else { return nil }
        return PDFBox(xMin: xMin, yMin: yMin, xMax: xMax, yMax: yMax)
    }

    private static func attribute(_ name: String, in element: Substring) -> Double? {
        quoted(name, in: element).flatMap(Double.init)
    }

    private static func quoted(_ name: String, in element: Substring) -> String? {
        guard let start = element.range(of: " \(name)=\"") else { return nil }
        let rest = element[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return unescape(rest[..<end])
    }

    /// Replaces the entities pdftotext writes (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#N;`).
    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";"),
                rest.distance(from: amp, to: semicolon) <= 10
            else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number =
                    entity.hasPrefix("#x")
                    ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                if let number, let scalar = Unicode.Scalar(number) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "&" + entity + ";"
                }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }
}

/// A box on a PDF page, in points from the top left corner.
struct PDFBox: Sendable, Equatable {
    var xMin: Double
    var yMin: Double
    var xMax: Double
    var yMax: Double

    var height: Double { yMax - yMin }
    var width: Double { xMax - xMin }
    var centerY: Double { (yMin + yMax) / 2 }

    /// The smallest box holding both.
    func union(_ other: PDFBox) -> PDFBox {
        PDFBox(
            xMin: min(xMin, other.xMin), yMin: min(yMin, other.yMin), xMax: max(xMax, other.xMax),
            yMax: max(yMax, other.yMax))
    }

    /// The width both boxes cover, 0 when they do not overlap horizontally.
    func horizontalOverlap(_ other: PDFBox) -> Double {
        max(0, min(xMax, other.xMax) - max(xMin, other.xMin))
    }

    /// The horizontal distance between the boxes, 0 when they overlap.
    func horizontalGap(_ other: PDFBox) -> Double {
        max(0, max(xMin, other.xMin) - min(xMax, other.xMax))
    }
}

/// A word as pdftotext found it.
struct PDFWord: Sendable, Equatable {
    var text: String
    var box: PDFBox
}

/// The words of one page, in pdftotext's lines.
struct PDFPageWords: Sendable {
    var number: Int
    var width: Double
    var height: Double
    var lines: [[PDFWord]]
}
