import Foundation

/// Where the knowledge base file lives: `--db PATH`, else `$KB_DB`, else the XDG data directory.
public enum DatabaseLocation {
    /// Resolves the database path.
    ///
    /// ```swift
    /// DatabaseLocation.resolve(flag: nil, environment: ["HOME": "/home/ana"])
    /// // "/home/ana/.local/share/kb/kb.sqlite"
    /// ```
    ///
    /// - Parameters:
    ///   - flag: The value of `--db`, if given.
    ///   - environment: The process environment.
    /// - Returns: An absolute or relative file path.
    public static func resolve(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let fromEnvironment = environment["KB_DB"], !fromEnvironment.isEmpty { return fromEnvironment }
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty, xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            dataHome = home + "/.local/share"
        }
        return dataHome + "/kb/kb.sqlite"
    }
}
