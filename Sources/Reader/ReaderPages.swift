import Foundation
import KB

/// The reader's pages as HTML.
///
/// Every page loads `/assets/app.css` and `/assets/app.js` only: no inline
/// script or style, so that the Content-Security-Policy can forbid them.
enum ReaderPages {
    /// Escapes text for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static func page(_ name: String, title: String, main: String, data: String? = nil, extra: String = "") -> String {
        """
        <!doctype html>
        <html lang="zh-Hans">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(escape(title)) · kb</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/assets/app.css">
        </head>
        <body data-page="\(name)">
        <header class="top"><a class="brand" href="/">kb</a><nav>\
        <a href="/"\(name == "library" ? " aria-current=\"page\"" : "")>Library</a>\
        <a href="/notes"\(name == "notes" ? " aria-current=\"page\"" : "")>Notes</a>\
        <a href="/conflicts"\(name == "conflicts" ? " aria-current=\"page\"" : "")>Conflicts</a>\
        </nav><span class="keys">\(name == "reader" ? "h highlight · n note · j/k next/previous · Esc close" : "")</span></header>
        \(main)
        \(extra)\(data.map { "<script type=\"application/json\" id=\"kb-data\">\($0)</script>\n" } ?? "")\
        <script src="/assets/app.js"></script>
        </body>
        </html>

        """
    }

    /// A page that says why the reader refused a page, with a way back to the library.
    static func error(_ status: Int, _ message: String) -> String {
        page(
            "error", title: "Error \(status)",
            main: """
                <main class="error">
                <h1>\(status)</h1>
                <p class="status" role="alert">\(escape(message))</p>
                <p><a href="/">Back to the library</a></p>
                </main>
                """)
    }

    static func library() -> String {
        page(
            "library", title: "Library",
            main: """
                <main class="library">
                <form class="filters" role="search">
                <input type="search" name="q" placeholder="Search (as kb search: 非遗 -上海, \"exact words\")" autocomplete="off" autofocus>
                <select name="tag" aria-label="Tag"><option value="">All tags</option></select>
                <select name="source" aria-label="Source page"><option value="">All source pages</option></select>
                </form>
                <p class="status" id="status" aria-live="polite"></p>
                <ol class="articles" id="results"></ol>
                <button type="button" class="more" id="more" hidden>More</button>
                </main>
                """)
    }

    static func notes() -> String {
        page(
            "notes", title: "Notes",
            main: """
                <main class="notes">
                <form class="filters">
                <select name="tag" aria-label="Tag"><option value="">All tags</option></select>
                <select name="state" aria-label="State"><option value="">Every state</option>\
                <option value="anchored">anchored</option><option value="fuzzy">fuzzy</option>\
                <option value="orphaned">orphaned</option></select>
                </form>
                <p class="status" id="status" aria-live="polite"></p>
                <ol class="note-list" id="results"></ol>
                <button type="button" class="more" id="more" hidden>More</button>
                </main>
                """)
    }

    static func conflicts() -> String {
        page(
            "conflicts", title: "Conflicts",
            main: """
                <main class="conflicts">
                <section class="sync" id="sync" hidden>
                <button type="button" data-action="sync">Sync now</button>
                <progress id="sync-progress" hidden></progress>
                <span id="sync-result" aria-live="polite"></span>
                <ol class="sync-steps" id="sync-steps"></ol>
                </section>
                <p class="status" id="status" aria-live="polite"></p>
                <ol class="conflict-list" id="results"></ol>
                </main>
                """)
    }

    /// The reader page: the article's fields, its body as paragraphs with their code-point offsets
    /// (`data-start`), and its annotations as JSON, which the page's script draws.
    static func reader(_ article: ArticlePayload) throws -> String {
        var body = "<div class=\"body\" data-kb-body lang=\"zh-Hans\">"
        body.reserveCapacity(article.body.utf8.count * 2)
        var offset = 0
        var paragraph = String.UnicodeScalarView()
        var paragraphStart = 0
        func flush() {
            guard !paragraph.isEmpty else { return }
            body += "<p data-start=\"\(paragraphStart)\">" + escape(String(paragraph)) + "</p>"
            paragraph = String.UnicodeScalarView()
        }
        for scalar in article.body.unicodeScalars {
            if scalar == "\n" {
                flush()
            } else {
                if paragraph.isEmpty { paragraphStart = offset }
                paragraph.append(scalar)
            }
            offset += 1
        }
        flush()
        body += "</div>"
        func line(_ className: String, _ text: String, tag: String = "p") -> String {
            text.isEmpty ? "" : "<\(tag) class=\"\(className)\">\(escape(text))</\(tag)>\n"
        }
        let header =
            line("kicker", article.kicker) + line("title", article.title, tag: "h1")
            + line("subtitle", article.subtitle)
            + line("byline", article.byline) + line("dateline", article.dateline)
        let meta =
            "<p class=\"meta\">"
            + (article.source.map { "<span>\(escape(URL(fileURLWithPath: $0).lastPathComponent))</span> " } ?? "")
            + article.tags.map { "<span class=\"tag\">#\(escape($0))</span>" }.joined(separator: " ")
            + " <span class=\"id\">\(escape(Identifier.short(article.id)))</span></p>"
        let main = """
            <main class="reader" data-article-id="\(escape(article.id))">
            <article class="article">
            <header>
            \(header)\(meta)
            </header>
            \(body)
            </article>
            <aside class="panel" aria-label="Annotations">
            <div class="tools" id="tools">\
            <button type="button" data-action="highlight" title="Highlight the selection (h)">Highlight</button>\
            <button type="button" data-action="note" title="Highlight the selection and write a note (n)">Note</button>\
            </div>
            <h2>Annotations <span id="annotation-count"></span></h2>
            <ol class="annotation-list" id="annotation-list"></ol>
            </aside>
            </main>
            """
        let extra = """
            <div class="selection-bar" id="selection-bar" hidden>\
            <button type="button" data-action="highlight" title="Highlight (h)">Highlight</button>\
            <span class="swatches">\(HighlightColor.named.map { "<button type=\"button\" class=\"swatch \($0.styleClass)\" data-action=\"highlight-color\" data-color=\"\($0.name)\" title=\"\($0.name)\" aria-label=\"Highlight \($0.name)\"></button>" }.joined())</span>\
            <button type="button" data-action="note" title="Add a note (n)">Note</button>\
            <button type="button" data-action="tag" title="Add tags">Tags</button>\
            </div>
            <section class="editor" id="editor" hidden aria-label="Note">
            <p class="editor-quote" id="editor-quote"></p>
            <label>Note (Markdown)<textarea name="note" rows="5" placeholder="Write a note; Markdown works."></textarea></label>
            <div class="preview note-text" id="editor-preview"></div>
            <label>Tags <input name="tags" placeholder="comma-separated" autocomplete="off"></label>
            <div class="editor-colors">\(HighlightColor.named.map { "<button type=\"button\" class=\"swatch \($0.styleClass)\" data-action=\"set-color\" data-color=\"\($0.name)\" aria-label=\"\($0.name)\"></button>" }.joined())</div>
            <p class="editor-error" id="editor-error" aria-live="polite"></p>
            <div class="editor-actions"><button type="button" data-action="save">Save</button>\
            <button type="button" data-action="delete" class="danger">Delete</button>\
            <button type="button" data-action="cancel">Close</button></div>
            </section>

            """
        let data = String(decoding: try ReaderJSON.encode(article), as: UTF8.self)
        return page("reader", title: article.title, main: main, data: data, extra: extra)
    }
}
