namespace Parley.ClientApi.Hosting;

/// <summary>The protocol the front end forwards to the silos with (<c>Parley:FrontEnd:SiloProtocol</c>).</summary>
public enum SiloProtocol
{
    /// <summary>HTTP/1.1, which every silo's API port serves.</summary>
    Http1,

    /// <summary>Cleartext HTTP/2 with prior knowledge, which a silo serves on its <c>Parley:Cluster:FrontEndHttp2Port</c>.</summary>
    Http2,
}
