import Foundation
import KB

/// Writes JSON for the CLI: keys sorted, two-space indentation, slashes and non-ASCII as they are.
///
/// Writes UTF-8 bytes straight into a buffer, and large outputs go out in pieces as they are made:
/// `kb notes --json` over 100k annotations neither builds one huge string nor casts every value. Every
/// command's JSON goes through here, so every command writes the same way.
enum JSONWriter {
    /// The JSON text of a value: dictionaries (keys sorted), arrays, strings, integers, doubles, booleans, NSNull.
    static func write(_ value: Any) -> String {
        var out = JSONOutput()
        out.value(value, indent: 0)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Writes a value and a line break to a file handle.
    static func print(_ value: Any, to handle: FileHandle) {
        var out = JSONOutput(sink: handle)
        out.value(value, indent: 0)
        out.raw("\n")
        out.flush()
    }

    /// Writes a list of annotations, each as ``JSONShapes/annotation(_:)`` shapes it, and a line break.
    static func printAnnotations(_ annotations: [Annotation], to handle: FileHandle) {
        var out = JSONOutput(sink: handle)
        out.array(annotations, indent: 0) { out, annotation, indent in out.annotation(annotation, indent: indent) }
        out.raw("\n")
        out.flush()
    }
}

/// A growing buffer of JSON bytes, handed to a file handle in pieces when it has one.
struct JSONOutput {
    private(set) var bytes: [UInt8] = []
    private let sink: FileHandle?
    private static let pieceSize = 1 << 16

    init(sink: FileHandle? = nil) {
        self.sink = sink
        bytes.reserveCapacity(sink == nil ? 4096 : Self.pieceSize + 4096)
    }

    /// Hands what is written so far to the sink.
    mutating func flush() {
        guard let sink, !bytes.isEmpty else { return }
        sink.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func spaces(_ count: Int) {
        bytes.append(contentsOf: repeatElement(0x20, count: count))
    }

    mutating func int(_ number: some BinaryInteger) {
        bytes.append(contentsOf: String(number).utf8)
    }

    /// A JSON string literal, escaped as ``JSONText/string(_:)``.
    mutating func string(_ text: String) {
        JSONText.appendString(text, to: &bytes)
    }

    /// `"key" : ` at an object's indentation.
    mutating func key(_ name: StaticString, indent: Int, first: Bool) {
        raw(first ? "{\n" : ",\n")
        spaces(indent + 2)
        raw("\"")
        raw(name)
        raw("\" : ")
    }

    mutating func endObject(indent: Int) {
        raw("\n")
        spaces(indent)
        raw("}")
    }

    mutating func optionalInt(_ number: Int?) {
        if let number { int(number) } else { raw("null") }
    }

    /// An array whose items a closure writes, handing full pieces to the sink between items.
    mutating func array<Item>(
        _ items: [Item], indent: Int, item write: (inout JSONOutput, Item, Int) -> Void
    ) {
        guard !items.isEmpty else {
            raw("[]")
            return
        }
        raw("[\n")
        for (index, item) in items.enumerated() {
            spaces(indent + 2)
            write(&self, item, indent + 2)
            raw(index + 1 < items.count ? ",\n" : "\n")
            if sink != nil && bytes.count >= Self.pieceSize { flush() }
        }
        spaces(indent)
        raw("]")
    }

    /// Any value a command builds: dictionaries (keys sorted), arrays, strings, numbers, booleans, NSNull.
    mutating func value(_ value: Any, indent: Int) {
        switch value {
        case let text as String:
            string(text)
        case let flag as Bool:
            if flag { raw("true") } else { raw("false") }
        case let number as Int:
            int(number)
        case let number as Int64:
            int(number)
        case let number as Double:
            if number.rounded() == number && abs(number) < 1e15 {
                int(Int64(number))
            } else {
                bytes.append(contentsOf: String(number).utf8)
            }
        case is NSNull:
            raw("null")
        case let list as [Any]:
            array(list, indent: indent) { out, item, indent in out.value(item, indent: indent) }
        case let object as [String: Any]:
            guard !object.isEmpty else {
                raw("{}")
                return
            }
            raw("{\n")
            let entries = object.sorted { $0.key < $1.key }
            for (index, (key, value)) in entries.enumerated() {
                spaces(indent + 2)
                string(key)
                raw(" : ")
                self.value(value, indent: indent + 2)
                raw(index + 1 < entries.count ? ",\n" : "\n")
            }
            spaces(indent)
            raw("}")
        case let optional as Any? where optional == nil:
            raw("null")
        default:
            string("\(value)")
        }
    }

    /// An annotation with the keys of ``JSONShapes/annotation(_:)``, in sorted order.
    mutating func annotation(_ annotation: Annotation, indent: Int) {
        key("article_id", indent: indent, first: true)
        string(annotation.articleID)
        key("color", indent: indent, first: false)
        string(annotation.color)
        key("created_at", indent: indent, first: false)
        string(Timestamp.iso(annotation.createdAt))
        key("end", indent: indent, first: false)
        optionalInt(annotation.end)
        key("id", indent: indent, first: false)
        string(annotation.id)
        key("note", indent: indent, first: false)
        string(annotation.note)
        key("prefix", indent: indent, first: false)
        string(annotation.prefix)
        key("quote", indent: indent, first: false)
        string(annotation.quote)
        key("start", indent: indent, first: false)
        optionalInt(annotation.start)
        key("state", indent: indent, first: false)
        string(annotation.state.rawValue)
        key("suffix", indent: indent, first: false)
        string(annotation.suffix)
        key("tags", indent: indent, first: false)
        array(annotation.tags, indent: indent + 2) { out, tag, _ in out.string(tag) }
        key("updated_at", indent: indent, first: false)
        string(Timestamp.iso(annotation.updatedAt))
        endObject(indent: indent)
    }
}
