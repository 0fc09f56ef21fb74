import Mustache

/// Renders dashboard pages to complete HTML documents: no scripts, no external assets.
public enum DashboardRenderer {
    /// The `Content-Type` of a rendered page.
    public static let contentType = "text/html; charset=utf-8"

    /// A policy the pages satisfy: no scripts at all, only the inline stylesheet, forms posting to this origin.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// The page as an HTML5 document; the same page always gives the same bytes.
    public static func render(_ page: DashboardPage) throws -> String {
        let library = try library.get()
        let rendered: String?
        switch page {
        case .signIn(let error):
            rendered = library.render(SignInContext(error: error), withTemplate: "signIn")
        case .environmentList(let tenant, let environments, let tenants):
            rendered = library.render(
                EnvironmentListContext(tenant: tenant, environments: environments, tenants: tenants), withTemplate: "environmentList"
            )
        case .environment(let view):
            rendered = library.render(EnvironmentContext(view), withTemplate: "environment")
        }
        guard let rendered else { throw DashboardRenderError.missingTemplate }
        return rendered
    }

    /// Parsed once; a template that does not parse is a bug every render reports.
    private static let library = Result<MustacheLibrary, any Error> {
        var library = MustacheLibrary()
        try library.register(DashboardTemplates.header, named: "header")
        try library.register(DashboardTemplates.footer, named: "footer")
        try library.register(DashboardTemplates.signIn, named: "signIn")
        try library.register(DashboardTemplates.environmentList, named: "environmentList")
        try library.register(DashboardTemplates.environment, named: "environment")
        return library
    }
}

/// Why a dashboard page could not be rendered.
public enum DashboardRenderError: Error, Sendable {
    case missingTemplate
}
