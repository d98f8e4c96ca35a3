import ArgumentParser
import Foundation

/// `kb serve …` runs `kb-hub …`, installed beside `kb`: the hub and its server framework live in
/// their own program, so that every other command starts fast.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Run the sync hub (kb serve --listen HOST:PORT --data DIR [--tls-cert PEM --tls-key PEM]; "
            + "kb serve token create --data DIR --kb NAME).",
        discussion: "See 'kb serve --help' for the hub's own options.")

    @Argument(parsing: .captureForPassthrough, help: "The hub's arguments.")
    var arguments: [String] = []

    func run() throws {
        let program = try Self.hubProgram()
        var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(program, argv)
        throw CLIError("Cannot run the hub program '\(program)': \(String(cString: strerror(errno))).")
    }

    /// `kb-hub` in the folder of the running `kb`.
    static func hubProgram(for command: String = "kb serve") throws -> String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let program = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("kb-hub").path
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw CLIError(
                "\(command) needs the program 'kb-hub' beside kb ('\(program)'); install both with 'make run'.")
        }
        return program
    }
}
