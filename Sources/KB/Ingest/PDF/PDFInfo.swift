/// What a PDF file says of itself, and what one of its pages prints above (or below) its articles.
///
/// Kept with each source imported from a PDF page (``Source/pdfInfo``, the `pdf_info` column as JSON, and the
/// `pdf_info` field of the source in a sync payload and a dump), so that the publication, the date and the
/// newspaper's own page name (`第3版`) can be read from it later. Every field is optional: PDF files say little
/// of themselves, and a page may print no masthead.
///
/// ```swift
/// source.pdfInfo?.header        // ["工人日报　2025年4月22日　星期二", "第3版　要闻"]
/// source.pdfInfo?.creationDate  // "2025-04-22T07:35:32Z"
/// ```
public struct PDFInfo: Sendable, Equatable, Codable {
    /// The document's title, from its information dictionary.
    public var title: String?
    /// The document's author.
    public var author: String?
    /// The document's subject.
    public var subject: String?
    /// The program that made the document (the one that wrote the PDF: its producer).
    public var producer: String?
    /// When the document was made, as pdftotext gives it (ISO 8601 when the file says enough).
    public var creationDate: String?
    /// The number of pages of the file.
    public var pageCount: Int
    /// The lines printed in the page's top and bottom margins, outside its articles, in reading order:
    /// a masthead line with the paper's name and the date, the page's name (`第3版　要闻`), a page number.
    public var header: [String]

    enum CodingKeys: String, CodingKey {
        case title, author, subject, producer, header
        case creationDate = "creation_date"
        case pageCount = "page_count"
    }

    public init(
        title: String? = nil, author: String? = nil, subject: String? = nil, producer: String? = nil,
        creationDate: String? = nil, pageCount: Int = 1, header: [String] = []
    ) {
        self.title = title
        self.author = author
        self.subject = subject
        self.producer = producer
        self.creationDate = creationDate
        self.pageCount = pageCount
        self.header = header
    }
}
