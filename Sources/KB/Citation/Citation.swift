import Foundation

/// What a citation of one article needs: its title, its authors and where it was published.
///
/// ```swift
/// let citation = try kb.citations(["dd76"])[0]
/// citation.formatted(.gb7714)   // 陈华. 长三角职工非遗技艺交流活动举行[N]. 工人日报, 2025-04-25(3).
/// ```
public struct Citation: Sendable, Equatable {
    /// The article's id.
    public var articleID: String
    /// The article's source (page), if it came from one.
    public var sourceID: String?
    public var title: String
    public var authors: [Contributor]
    /// True when the authors were set by hand rather than read from the byline.
    public var authorsSetByHand: Bool
    public var metadata: SourceMetadata

    public init(
        articleID: String, sourceID: String? = nil, title: String, authors: [Contributor],
        authorsSetByHand: Bool = false, metadata: SourceMetadata
    ) {
        self.articleID = articleID
        self.sourceID = sourceID
        self.title = title
        self.authors = authors
        self.authorsSetByHand = authorsSetByHand
        self.metadata = metadata
    }

    /// What kind of work is cited.
    public enum Kind: Sendable, Equatable {
        /// An article of a newspaper page (imported, or with a publication set).
        case newspaperArticle
        /// Text that came from no page and names no publication, such as a note made with `kb add`.
        case document
    }

    /// A newspaper article when the text came from a page or names its publication, else a document.
    public var kind: Kind { sourceID != nil || metadata.publication != nil ? .newspaperArticle : .document }

    /// The citation key: stable as long as the publication, date and page stay the same.
    ///
    /// The newspaper's Latin name (its pinyin for the papers ``Publications`` knows, else the ASCII letters of its
    /// name, else `kb`), the date of the issue, the page, and the first six digits of the article's id:
    /// `gongrenribao2025-04-25-3-dd76a1`; parts that are unknown are left out (`kb-dd76a1`).
    public var key: String {
        var key = metadata.publication.flatMap(Publications.latinName(for:)) ?? "kb"
        if let issued = metadata.issued { key += issued }
        if let page = metadata.page { key += "-\(page)" }
        return key + "-" + articleID.prefix(6)
    }

    /// The names a citation lists, in the byline's order.
    public var names: [String] { authors.citedNames }

    /// The language of the title, as CSL and BibTeX write it: `zh-CN` when it holds Chinese characters.
    public var language: String? {
        title.contains(where: \.isHan) || (metadata.publication ?? "").contains(where: \.isHan) ? "zh-CN" : nil
    }
}
