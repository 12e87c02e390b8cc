import ArgumentParser
import Foundation
import HyperionCore
import HyperionServer
import HyperionStorage
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `hyperion users …`: manage accounts from the machine the server runs on.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage user accounts.",
        subcommands: [Create.self, List.self, SetRole.self, Disable.self, Enable.self, ResetPassword.self]
    )

    /// Opens the store (migrating it), runs `body` with the account service, and closes the store.
    static func withAuth(_ options: ConfigOptions, _ body: (AuthService, Store) async throws -> Void) async throws {
        try await reportingStartupErrors {
            let settings = try ServerSettings(reader: try await options.reader())
            var logger = makeLogger(settings: settings)
            logger.logLevel = .warning
            try FileManager.default.createDirectory(at: settings.dataDirectory, withIntermediateDirectories: true)
            let store = try await Store.open(settings.store, logger: logger)
            do {
                try await Migrator(store: store, logger: logger).migrate()
                try await body(try await AppDependencies.makeAuth(settings: settings, store: store), store)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    static func find(_ email: String, in store: Store) async throws -> User {
        guard let user = try await store.users.find(email: email) else {
            throw HyperionError(.notFound, code: "not_found", message: "no user with email \(email)")
        }
        return user
    }

    /// Reads a password from the terminal without echo, or one line from stdin when it is not a terminal.
    /// Never from an argument: arguments end up in shell history and `ps`.
    static func readPassword(prompt: String) throws -> String {
        if isatty(0) == 1 {
            FileHandle.standardError.write(Data(prompt.utf8))
            var original = termios()
            tcgetattr(0, &original)
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &silent)
            defer {
                tcsetattr(0, TCSANOW, &original)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            return readLine(strippingNewline: true) ?? ""
        }
        guard let line = readLine(strippingNewline: true) else {
            throw HyperionError.invalid("password", "expected on standard input")
        }
        return line
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user; the password is read from a prompt or stdin.")
        @Option(help: "Email address.") var email: String
        @Option(help: "admin or user.") var role: String = "user"
        @Option(name: .customLong("full-name"), help: "Display name.") var fullName: String?
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin or user") }
            let password = try UsersCommand.readPassword(prompt: "Password for \(email): ")
            try await UsersCommand.withAuth(options) { auth, _ in
                let user = try await auth.createUser(email: email, password: password, fullName: fullName, role: role, actorID: nil)
                print("created \(user.role.rawValue) \(user.email) (\(user.id.lowercasedString))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await UsersCommand.withAuth(options) { _, store in
                var skip = 0
                while true {
                    let page = try await store.users.list(PageRequest(skip: skip, limit: 100))
                    for user in page.items {
                        print("\(user.id.lowercasedString)  \(user.role.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))  \(user.isDisabled ? "disabled" : "active  ")  \(user.email)")
                    }
                    skip += page.items.count
                    if page.items.isEmpty || skip >= page.total { break }
                }
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a user's role.")
        @Option(help: "Email address.") var email: String
        @Option(help: "admin or user.") var role: String
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin or user") }
            try await UsersCommand.withAuth(options) { auth, store in
                let user = try await UsersCommand.find(email, in: store)
                _ = try await auth.updateUser(id: user.id, role: role, isDisabled: nil, fullName: nil, actorID: user.id)
                print("\(user.email) is now \(role.rawValue)")
            }
        }
    }

    /// Disables or enables the user with `email`; the CLI acts as that user's own actor in the audit log.
    static func setDisabled(_ disabled: Bool, email: String, options: ConfigOptions) async throws {
        try await withAuth(options) { auth, store in
            let user = try await find(email, in: store)
            _ = try await auth.updateUser(id: user.id, role: nil, isDisabled: disabled, fullName: nil, actorID: user.id)
            print("\(user.email) is \(disabled ? "disabled" : "enabled")")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user (sessions and API keys are revoked).")
        @Option(help: "Email address.") var email: String
        @OptionGroup var options: ConfigOptions

        func run() async throws { try await UsersCommand.setDisabled(true, email: email, options: options) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @Option(help: "Email address.") var email: String
        @OptionGroup var options: ConfigOptions

        func run() async throws { try await UsersCommand.setDisabled(false, email: email, options: options) }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-password", abstract: "Set a new password (read from a prompt or stdin); signs out every session.")
        @Option(help: "Email address.") var email: String
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let password = try UsersCommand.readPassword(prompt: "New password for \(email): ")
            try await UsersCommand.withAuth(options) { auth, store in
                let user = try await UsersCommand.find(email, in: store)
                try await auth.resetPassword(userID: user.id, new: password)
                print("password of \(user.email) reset; its sessions are signed out")
            }
        }
    }
}
