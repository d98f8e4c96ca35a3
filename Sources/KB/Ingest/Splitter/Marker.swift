import Foundation

/// What a line says about where articles start and end.
enum Marker: Equatable {
    case none
    /// `本报讯 （记者…）…`, and its mangled forms `本报第109号讯`, `本报专讯`.
    case newsflash
    /// A line that is only a byline: `本报记者 裴龙翔`.
    case bylineLine
    /// `（记者 陈华）…`: a bracketed byline opening an article whose `本报讯` was lost, run into the text or
    /// alone on its line under a headline.
    case bylineStart
    /// `（上接第1版）` alone on its line.
    case continued
    /// `（上接第1版）北京市…`: the marker run into the first line of text.
    case continuedRunIn
    /// `新华社北京4月24日电（记者…）…`, `本报北京…电`, or `新华社北京电` with its date lost.
    case datelineStart
    /// `（新华社北京 4月 24日电）` at the end of an article: not a start.
    case datelineEnd
    /// `（下转第2版）` alone on its line, at the end of an article: not a start.
    case continuedOn

    var startsArticle: Bool {
        switch self {
        case .newsflash, .bylineLine, .bylineStart, .continued, .continuedRunIn, .datelineStart: return true
        case .none, .datelineEnd, .continuedOn: return false
        }
    }

    /// True when the marker line is a paragraph of its own.
    var standsAlone: Bool {
        self == .bylineLine || self == .continued || self == .datelineEnd || self == .continuedOn
    }

    /// True when the marker ends an article.
    var endsArticle: Bool { self == .datelineEnd || self == .continuedOn }
}
