using System.Net.Sockets;
using System.Text;

namespace Parley.Silo.Tests.Hostile;

/// <summary>HTTP/1.1 over a bare socket, for what HttpClient refuses to send: malformed chunked bodies, bodies cut
/// short, CR/LF and non-ASCII bytes in header values. The request is written as given; the answer is read until the
/// server closes the connection (every request says <c>Connection: close</c>).</summary>
public static class RawHttp
{
    public sealed record Response(int Status, string Head, byte[] Body)
    {
        public string? Header(string name)
        {
            foreach (var line in Head.Split("\r\n").Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon > 0 && line[..colon].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return line[(colon + 1)..].Trim();
                }
            }
            return null;
        }
    }

    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line; <c>Host</c> and
    /// <c>Connection: close</c> are added) and <paramref name="body"/>; with <paramref name="halfClose"/> the sending
    /// side is shut after the body, as a client that gives up mid-body.</summary>
    public static async Task<Response> SendAsync(Uri server, byte[] head, byte[] body, bool halfClose)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        byte[] request = [.. head, .. Encoding.ASCII.GetBytes($"\r\nHost: {server.Host}:{server.Port}\r\nConnection: close\r\n\r\n"), .. body];
        try
        {
            await stream.WriteAsync(request);
            if (halfClose)
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (IOException)
        {
            // The server answered and closed before reading everything: its answer is read below.
        }
        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException)
        {
            // A reset after the answer was written still leaves the answer.
        }
        return Parse(received.ToArray());
    }

    private static Response Parse(byte[] raw)
    {
        var text = Encoding.Latin1.GetString(raw);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return new Response(0, text, []);
        }
        var head = text[..end];
        var statusLine = head.Split("\r\n")[0].Split(' ');
        var status = statusLine.Length > 1 && int.TryParse(statusLine[1], out var s) ? s : 0;
        var body = raw[(end + 4)..];
        var response = new Response(status, head, body);
        return response.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true
            ? response with { Body = Dechunk(body) }
            : response;
    }

    private static byte[] Dechunk(byte[] body)
    {
        using var output = new MemoryStream();
        var at = 0;
        while (at < body.Length)
        {
            var lineEnd = Array.IndexOf(body, (byte)'\n', at);
            if (lineEnd < 0)
            {
                break;
            }
            var size = Convert.ToInt32(Encoding.ASCII.GetString(body, at, lineEnd - at).Trim().Split(';')[0], 16);
            if (size == 0)
            {
                break;
            }
            output.Write(body, lineEnd + 1, Math.Min(size, body.Length - lineEnd - 1));
            at = lineEnd + 1 + size + 2;
        }
        return output.ToArray();
    }
}
