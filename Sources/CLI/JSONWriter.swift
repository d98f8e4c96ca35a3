import Foundation
import KB

/// Writes JSON for the CLI: keys sorted, two-space indentation, slashes and non-ASCII as they are.
///
/// Faster than `JSONSerialization` on large outputs (`kb notes --json` over 100k annotations), and the
/// same for every command.
enum JSONWriter {
    static func write(_ value: Any) -> String {
        var out = ""
        out.reserveCapacity(4096)
        append(value, to: &out, indent: 0)
        return out
    }

    private static func append(_ value: Any, to out: inout String, indent: Int) {
        switch value {
        case let text as String:
            out += JSONText.string(text)
        case let flag as Bool:
            out += flag ? "true" : "false"
        case let number as Int:
            out += String(number)
        case let number as Int64:
            out += String(number)
        case let number as Double:
            out += number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case is NSNull:
            out += "null"
        case let array as [Any]:
            guard !array.isEmpty else {
                out += "[]"
                return
            }
            out += "[\n"
            for (index, item) in array.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                append(item, to: &out, indent: indent + 2)
                out += index + 1 < array.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case let object as [String: Any]:
            guard !object.isEmpty else {
                out += "{}"
                return
            }
            out += "{\n"
            let keys = object.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += String(repeating: " ", count: indent + 2) + JSONText.string(key) + " : "
                append(object[key]!, to: &out, indent: indent + 2)
                out += index + 1 < keys.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case let optional as Any? where optional == nil:
            out += "null"
        default:
            out += JSONText.string("\(value)")
        }
    }
}
