import ArgumentParser
import Foundation

/// An error of the command line itself, printed as one sentence.
struct CLIError: Error, LocalizedError {
    let message: String
    let exitCode: Int32

    init(_ message: String, exitCode: Int32 = ExitCode.failure.rawValue) {
        self.message = message
        self.exitCode = exitCode
    }

    /// A problem with how the command was called (exit 64).
    static func usage(_ message: String) -> CLIError {
        CLIError(message, exitCode: ExitCode.validationFailure.rawValue)
    }

    var errorDescription: String? { message }
}
