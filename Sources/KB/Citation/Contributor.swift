import Foundation

/// Someone named in an article's byline, with the part they had.
public struct Contributor: Sendable, Equatable, Hashable, Codable {
    /// The part a contributor had, as the byline says.
    public enum Role: String, Sendable, Codable, CaseIterable {
        /// Named without a role, or set by hand.
        case author
        /// 记者, 本报记者, 特约记者, 见习记者.
        case reporter
        /// 通讯员, 本报通讯员.
        case correspondent
        /// A news agency writing as itself: 新华社.
        case agency
        /// 摄 (a photo's maker).
        case photographer
    }

    public var name: String
    public var role: Role

    public init(_ name: String, role: Role = .author) {
        self.name = name
        self.role = role
    }
}

extension [Contributor] {
    /// The names a citation lists: everyone but photographers, unless photographers are all there is.
    public var citedNames: [String] {
        let writers = filter { $0.role != .photographer }
        return (writers.isEmpty ? self : writers).map(\.name)
    }
}
