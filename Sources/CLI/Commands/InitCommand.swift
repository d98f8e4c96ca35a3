import ArgumentParser
import Foundation
import KB

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a knowledge base: at PATH, else at --db, $KB_DB or the default location.",
        discussion: """
            Only 'init', 'import', 'add' and 'remote add' create a knowledge base; every other command on a \
            missing file says so and creates nothing. Running it on an existing knowledge base changes nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Where to create the knowledge base file.", completion: .file())
    var path: String?

    func run() throws {
        var options = global
        if let path { options.db = path }
        let location = options.databasePath
        let existed = FileManager.default.fileExists(atPath: location)
        _ = try options.openOrCreate()
        if global.json {
            try Terminal.printJSON(["path": location, "created": !existed])
        } else if existed {
            print("A knowledge base is already at '\(location)'; nothing changed.")
        } else {
            print("Created a knowledge base at '\(location)'.")
        }
    }
}
