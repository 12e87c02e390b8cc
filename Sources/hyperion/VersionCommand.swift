import ArgumentParser
import HyperionEmbedding
import HyperionServer

/// `hyperion version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("hyperion \(hyperionVersion)")
        print("compute: \(ComputeKernels.summary)")
    }
}
