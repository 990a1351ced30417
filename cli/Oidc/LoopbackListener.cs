using System.Net;
using System.Text;
using Parley.Cli.Hosting;

namespace Parley.Cli.Oidc;

/// <summary>The loopback redirect target of the browser flow: an HttpListener on 127.0.0.1 only, answering one
/// callback whose state matches (other requests get 404 and are ignored).</summary>
internal sealed class LoopbackListener : IDisposable
{
    private readonly HttpListener _listener;

    private LoopbackListener(HttpListener listener, int port)
    {
        _listener = listener;
        Port = port;
    }

    public int Port { get; }

    public static LoopbackListener Start(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var chosen = port != 0 ? port : FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{chosen}{OidcClient.CallbackPath}/");
            try
            {
                listener.Start();
                return new LoopbackListener(listener, chosen);
            }
            catch (HttpListenerException e)
            {
                listener.Close();
                if (port != 0 || attempt >= 3)
                {
                    throw new CliException(ExitCodes.UsageError, $"cannot listen on 127.0.0.1:{chosen} for the sign-in callback: {e.Message}", "callback_port_unavailable");
                }
            }
        }
    }

    public async Task<Callback> WaitForCallbackAsync(string path, string state, CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(_listener.Stop);
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is HttpListenerException or ObjectDisposedException)
            {
                throw new CliException(ExitCodes.AuthError, "no sign-in arrived from the browser in time; run `parley login --oidc --browser` again.", "oidc_timeout");
            }
            var query = context.Request.QueryString;
            if (context.Request.Url?.AbsolutePath.TrimEnd('/') != path || query["state"] != state)
            {
                Respond(context, HttpStatusCode.NotFound, "Not the sign-in this parley is waiting for.");
                continue;
            }
            var callback = new Callback(query["code"], query["error"], query["error_description"]);
            Respond(context, HttpStatusCode.OK, callback.Error is null
                ? "Signed in to Parley. You can close this window and return to the terminal."
                : "The sign-in was refused. You can close this window.");
            if (callback.Code is null && callback.Error is null)
            {
                return callback with { Error = "invalid_response" };
            }
            return callback;
        }
    }

    private static void Respond(HttpListenerContext context, HttpStatusCode status, string text)
    {
        var body = Encoding.UTF8.GetBytes("<!doctype html><meta charset=\"utf-8\"><title>Parley</title><p>" + WebUtility.HtmlEncode(text) + "</p>");
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength64 = body.Length;
        context.Response.OutputStream.Write(body);
        context.Response.Close();
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose() => _listener.Close();

    public sealed record Callback(string? Code, string? Error, string? ErrorDescription);
}
