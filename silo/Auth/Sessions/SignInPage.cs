using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Auth.Sessions;

/// <summary>The sign-in and sign-out pages: plain server-rendered HTML with no script and nothing loaded from
/// elsewhere, so they work offline and under a strict Content-Security-Policy. Every value written into the page is
/// HTML-encoded; the key is never written back.</summary>
internal static class SignInPage
{
    public const string KeyField = "key";

    // No script at all; the inline style is the only thing allowed besides posting the form to this site.
    private const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f2f7;color:#222;margin:0}
        main{max-width:24rem;margin:12vh auto;background:#fff;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.12);padding:2rem}
        h1{margin:0 0 .25rem;font-size:1.5rem;color:#5c2d7a}p{line-height:1.4}
        label{display:block;font-weight:600;margin:1rem 0 .4rem}
        input[type=password]{box-sizing:border-box;width:100%;padding:.6rem;border:1px solid #aaa;border-radius:4px;font:inherit}
        button{margin-top:1.2rem;width:100%;padding:.65rem;border:0;border-radius:4px;background:#6f3c8f;color:#fff;font:inherit;font-weight:600;cursor:pointer}
        .error{background:#fdecea;color:#8a1c13;border-radius:4px;padding:.6rem .8rem}.note{background:#eef6ee;border-radius:4px;padding:.6rem .8rem}
        """;

    public static Task WriteSignInAsync(HttpContext context, AntiforgeryTokenSet tokens, string returnUrl, int status, string? error = null, string? note = null)
    {
        var body = new StringBuilder(2048);
        body.Append("<h1>Parley</h1><p>Sign in with the admin key to open the operators' pages (Parley's console and the Orleans Dashboard).</p>");
        AppendMessages(body, error, note);
        body.Append("<form method=\"post\" action=\"").Append(Encode(context.Request.PathBase + AdminSessions.SignInPath)).Append("\">");
        AppendToken(body, tokens);
        body.Append("<input type=\"hidden\" name=\"").Append(AdminSessions.ReturnUrlParameter).Append("\" value=\"").Append(Encode(returnUrl)).Append("\">");
        body.Append("<label for=\"").Append(KeyField).Append("\">Admin key</label>");
        body.Append("<input id=\"").Append(KeyField).Append("\" name=\"").Append(KeyField)
            .Append("\" type=\"password\" autocomplete=\"current-password\" spellcheck=\"false\" required autofocus>");
        body.Append("<button type=\"submit\">Sign in</button></form>");
        return WriteAsync(context, status, "Sign in", body.ToString());
    }

    public static Task WriteSignOutAsync(HttpContext context, AntiforgeryTokenSet tokens, int status, string? error = null)
    {
        var body = new StringBuilder(1024);
        body.Append("<h1>Parley</h1><p>Sign out of the operators' pages on this browser.</p>");
        AppendMessages(body, error, note: null);
        body.Append("<form method=\"post\" action=\"").Append(Encode(context.Request.PathBase + AdminSessions.SignOutPath)).Append("\">");
        AppendToken(body, tokens);
        body.Append("<button type=\"submit\">Sign out</button></form>");
        return WriteAsync(context, status, "Sign out", body.ToString());
    }

    private static void AppendMessages(StringBuilder body, string? error, string? note)
    {
        if (error is not null)
        {
            body.Append("<p class=\"error\" role=\"alert\">").Append(Encode(error)).Append("</p>");
        }
        if (note is not null)
        {
            body.Append("<p class=\"note\" role=\"status\">").Append(Encode(note)).Append("</p>");
        }
    }

    private static void AppendToken(StringBuilder body, AntiforgeryTokenSet tokens)
        => body.Append("<input type=\"hidden\" name=\"").Append(Encode(tokens.FormFieldName))
            .Append("\" value=\"").Append(Encode(tokens.RequestToken ?? "")).Append("\">");

    private static Task WriteAsync(HttpContext context, int status, string title, string main)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        var headers = response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{Encode(title)} · Parley</title><style>{Style}</style></head>
            <body><main>{main}</main></body></html>
            """;
        return response.WriteAsync(html, Encoding.UTF8, context.RequestAborted);
    }

    private static string Encode(string value) => HtmlEncoder.Default.Encode(value);
}
