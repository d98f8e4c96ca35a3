import ArgumentParser
import Foundation
import KB
import Reader

/// `kb-hub open`, run by `kb open`: the local reader over one knowledge base file.
struct OpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Serve the local reader on 127.0.0.1 (run by 'kb open').",
        discussion: "Prints its URL on stdout at once, then serves until SIGINT or SIGTERM.",
        shouldDisplay: false)

    @Option(help: "The knowledge base file.", completion: .file())
    var db: String

    @Option(help: "The port to listen on (default: a free one).")
    var port: Int?

    @Flag(help: "Do not open a browser.")
    var noBrowser = false

    @Argument(help: "An article to open (id or unique prefix).")
    var id: String?

    func run() async throws {
        if let port, !(1...65535).contains(port) {
            throw HubCommand.Failure(message: "--port '\(port)' must be between 1 and 65535.", code: 64)
        }
        if let running = ReaderRuntime.running(database: db) {
            FileHandle.standardOutput.write(Data((running.url(article: id) + "\n").utf8))
            FileHandle.standardError.write(
                Data("kb: a reader already runs for '\(db)' (process \(running.pid)); this is its URL.\n".utf8))
            if !noBrowser { Browser.open(running.url(article: id)) }
            return
        }
        let kb: KnowledgeBase
        let article: String?
        do {
            kb = try KnowledgeBase.open(path: db, mode: .existing)
            article = try id.map { try kb.resolveArticleID($0) }
        } catch let error as KBError {
            throw HubCommand.Failure(message: error.message, code: error.isUsageError ? 64 : 1)
        }
        let service = ReaderService(kb: kb)
        let server = ReaderServer(service: service)
        let database = db
        let pid = getpid()
        let opensBrowser = !noBrowser
        do {
            try await server.run(port: port ?? 0) { _ in
                let url = service.url(article: article)
                // The first line on stdout, flushed at once: scripts read the URL from a pipe.
                FileHandle.standardOutput.write(Data((url + "\n").utf8))
                let runtime = ReaderRuntime(
                    pid: pid, url: service.url(), startedAt: Int64(Date().timeIntervalSince1970 * 1000))
                do {
                    try runtime.write(database: database)
                } catch let error as KBError {
                    FileHandle.standardError.write(Data("kb: warning: \(error.message)\n".utf8))
                } catch {}
                FileHandle.standardError.write(
                    Data("kb: the reader serves '\(database)'; stop it with Ctrl-C.\n".utf8))
                if opensBrowser { Browser.open(url) }
            }
        } catch let error as ReaderStartError {
            ReaderRuntime.remove(database: database, pid: pid)
            throw HubCommand.Failure(message: error.message, code: 1)
        }
        ReaderRuntime.remove(database: database, pid: pid)
    }
}

/// Opens a URL in the user's browser, when there is one: `$BROWSER`, else `xdg-open` on a desktop.
enum Browser {
    static func open(_ url: String) {
        let environment = ProcessInfo.processInfo.environment
        var command: [String]?
        if let browser = environment["BROWSER"], !browser.isEmpty {
            command = [browser, url]
        } else if environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil {
            command = ["xdg-open", url]
        }
        guard let command else {
            FileHandle.standardError.write(Data("kb: no browser found here; open the URL above in one.\n".utf8))
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("kb: could not start a browser; open the URL above in one.\n".utf8))
        }
    }
}
