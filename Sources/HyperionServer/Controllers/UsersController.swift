import Foundation
import Hummingbird
import HyperionCore

/// Admin user management under `/api/v1/users`.
struct UsersController {
    let auth: AuthService
    /// Per-caller request budgets of authenticated routes (none unless configured).
    var budgets = RequestBudgets.none
    let body: JSONBody

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group("/api/v1")
            .add(middleware: AuthenticationMiddleware(auth: auth))
            .add(limit: budgets.requests)
            .add(middleware: RequireAdminMiddleware())
        admin.get("/users") { request, _ in
            let query = request.uri.queryParameters
            var filter = UserFilter()
            filter.email = query["email"].map(String.init)
            if let role = query["role"] {
                guard let value = Role(rawValue: String(role)) else { throw HyperionError.invalid("role", "must be admin or user") }
                filter.role = value
            }
            if let disabled = query["disabled"] {
                guard let value = Bool(String(disabled)) else { throw HyperionError.invalid("disabled", "must be true or false") }
                filter.isDisabled = value
            }
            let page = try await auth.users(filter, page: try request.pageRequest)
            return ListResponse(page.map(UserResponse.init))
        }
        admin.post("/users") { request, context in
            let input = try await body.decode(CreateUserRequest.self, from: request)
            let user = try await auth.createUser(
                email: input.email, password: input.password, fullName: input.full_name, role: input.role ?? .user,
                actorID: try context.caller.user.id
            )
            return EditedResponse(status: .created, response: UserResponse(user))
        }
        admin.get("/users/:id") { _, context in
            UserResponse(try await auth.user(try context.uuidParameter("id")))
        }
        admin.patch("/users/:id") { request, context in
            let id = try context.uuidParameter("id")
            let input = try await body.decode(UpdateUserRequest.self, from: request)
            let user = try await auth.updateUser(
                id: id, role: input.role, isDisabled: input.is_disabled, fullName: input.full_name, actorID: try context.caller.user.id
            )
            return UserResponse(user)
        }
        admin.post("/users/:id/password") { request, context in
            let input = try await body.decode(ResetPasswordRequest.self, from: request)
            try await auth.resetPassword(userID: try context.uuidParameter("id"), new: input.new_password, actorID: try context.caller.user.id)
            return Response(status: .noContent)
        }
        admin.delete("/users/:id") { _, context in
            try await auth.deleteUser(id: try context.uuidParameter("id"), actorID: try context.caller.user.id)
            return Response(status: .noContent)
        }
    }
}
