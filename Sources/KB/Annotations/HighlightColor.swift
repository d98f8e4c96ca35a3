import Foundation

/// The color of a highlight: one of five names, or any `#rrggbb`.
///
/// Stored as its ``name`` (`yellow`, `#a1c2e3`), in lowercase. A color that arrives by sync and is
/// neither (made by another tool) is kept in ``Annotation/color`` as it came, and has no
/// ``Annotation/highlightColor``: listings and exports show it plainly.
///
/// ```swift
/// HighlightColor("Blue")      // .blue
/// HighlightColor("#FFAA00")   // .rgb(red: 255, green: 170, blue: 0), named "#ffaa00"
/// HighlightColor("red")       // nil
/// ```
public enum HighlightColor: Sendable, Hashable {
    case yellow
    case green
    case blue
    case pink
    case purple
    /// Any color, written `#rrggbb`.
    case rgb(red: UInt8, green: UInt8, blue: UInt8)

    /// The named colors, in the order help texts list them.
    public static let named: [HighlightColor] = [.yellow, .green, .blue, .pink, .purple]

    /// Reads a color name or `#rrggbb`, in any case and width (`Ｂｌｕｅ` is blue); nil for anything else.
    public init?(_ text: String) {
        let text = text.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespaces).lowercased()
        if let named = Self.named.first(where: { $0.name == text }) {
            self = named
            return
        }
        let digits = text.dropFirst()
        guard text.hasPrefix("#"), digits.count == 6, digits.allSatisfy(\.isHexDigit),
            let value = UInt32(digits, radix: 16)
        else { return nil }
        self = .rgb(red: UInt8(value >> 16), green: UInt8((value >> 8) & 0xFF), blue: UInt8(value & 0xFF))
    }

    /// Reads a color as ``init(_:)`` does, or throws an error that lists the choices.
    ///
    /// - Parameter text: A color name or `#rrggbb`.
    /// - Returns: The color.
    /// - Throws: ``KBError`` `.invalidArgument`, with the message ``unknownMessage(_:)``.
    public static func parse(_ text: String) throws -> HighlightColor {
        guard let color = HighlightColor(text) else { throw KBError.invalid(unknownMessage(text)) }
        return color
    }

    /// The one sentence that refuses a color: the value and the choices.
    public static func unknownMessage(_ text: String) -> String {
        "The color '\(text)' is not one kb knows; choose \(choices)."
    }

    /// The choices, as help texts and errors list them: `yellow, green, blue, pink, purple or #rrggbb`.
    public static var choices: String {
        named.map(\.name).joined(separator: ", ") + " or #rrggbb"
    }

    /// The stored form: the name, or `#rrggbb` in lowercase.
    public var name: String {
        switch self {
        case .yellow: "yellow"
        case .green: "green"
        case .blue: "blue"
        case .pink: "pink"
        case .purple: "purple"
        case .rgb(let red, let green, let blue):
            "#" + [red, green, blue].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }

    /// The color drawn: a light tone for each name, behind black text.
    public var rgb: (red: UInt8, green: UInt8, blue: UInt8) {
        switch self {
        case .yellow: (0xFF, 0xE0, 0x66)
        case .green: (0xA5, 0xD6, 0xA7)
        case .blue: (0x90, 0xCA, 0xF9)
        case .pink: (0xF4, 0x8F, 0xB1)
        case .purple: (0xCE, 0x93, 0xD8)
        case .rgb(let red, let green, let blue): (red, green, blue)
        }
    }

    /// The color as CSS writes it: `#rrggbb`.
    public var css: String {
        HighlightColor.rgb(red: rgb.red, green: rgb.green, blue: rgb.blue).name
    }

    /// A class name for style sheets: `kb-yellow`, `kb-rgb-a1c2e3`.
    public var styleClass: String {
        switch self {
        case .rgb: "kb-rgb-" + name.dropFirst()
        default: "kb-" + name
        }
    }

    /// A marker for Markdown: a colored square for a name (a pink heart, as Unicode has no pink
    /// square), the code `#rrggbb` otherwise (in backticks, so that Obsidian does not take it for a tag).
    public var marker: String {
        switch self {
        case .yellow: "🟨 yellow"
        case .green: "🟩 green"
        case .blue: "🟦 blue"
        case .pink: "🩷 pink"
        case .purple: "🟪 purple"
        case .rgb: "`\(name)`"
        }
    }
}

extension Annotation {
    /// The highlight's color; nil when it has none, or one that arrived by sync in a form kb does not know.
    public var highlightColor: HighlightColor? {
        color.isEmpty ? nil : HighlightColor(color)
    }
}
