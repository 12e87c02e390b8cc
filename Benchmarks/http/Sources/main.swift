import Hummingbird

// The framework's floor: Hummingbird with one static route and nothing else (no middleware, no
// authentication, no JSON encoding). Measured in the same run as Hyperion and the peer, it shows how
// much of a request's cost is the HTTP stack itself, which no change to Hyperion's handlers can remove.
//   hyperion-http-floor PORT
let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8090 : 8090
let router = Router()
router.get("/health") { _, _ in #"{"status":"ok"}"# }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
