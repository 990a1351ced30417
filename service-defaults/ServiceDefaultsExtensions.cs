using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using Parley.ServiceDefaults.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Parley.ServiceDefaults;

/// <summary>The one place every Parley host (silo, front end) gets its telemetry from: OpenTelemetry metrics (Parley's
/// own meters, Orleans', ASP.NET Core's, HttpClient's and the runtime's) served to Prometheus on the management port;
/// traces (ASP.NET Core, HttpClient, Orleans grain calls and storage, Parley's spans) and logs, exported over OTLP when
/// an endpoint is configured; one resource (service name, version, instance id) on all of it.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Name of the standard environment variable (also read from configuration) that turns OTLP export on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <param name="serviceName">The host's <c>service.name</c> unless <c>Parley:Telemetry:ServiceName</c> says otherwise.</param>
    /// <param name="hostAssembly">Its informational version is the resource's <c>service.version</c>.</param>
    public static WebApplicationBuilder AddParleyServiceDefaults(this WebApplicationBuilder builder, string serviceName, Assembly hostAssembly)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var section = configuration.GetSection(TelemetryOptions.SectionName);
        services.AddOptions<TelemetryOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>());
        // The providers are built from these now, before the container exists: a bad value is one clear error here.
        var options = section.Get<TelemetryOptions>() ?? new TelemetryOptions();
        var validation = new TelemetryOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(TelemetryOptions), typeof(TelemetryOptions), validation.Failures);
        }

        var exportsOtlp = !string.IsNullOrWhiteSpace(options.Otlp.Endpoint) || !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        var version = hostAssembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? hostAssembly.GetName().Version?.ToString() ?? "0.0.0";
        var instanceId = string.IsNullOrWhiteSpace(options.InstanceId)
            ? Environment.MachineName + "-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : options.InstanceId;

        builder.AddParleyLogRedaction();
        services.AddHostedService<OrleansMetricsBridge>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(string.IsNullOrWhiteSpace(options.ServiceName) ? serviceName : options.ServiceName, serviceVersion: version,
                    autoGenerateServiceInstanceId: false, serviceInstanceId: instanceId)
                // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read last, win.
                .AddEnvironmentVariableDetector())
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ParleyTelemetry.MeterPrefix, ParleyTelemetry.OrleansMeter)
                    .AddPrometheusConventions()
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (options.Metrics.Enabled)
                {
                    // Every scrape collects afresh (the exporter's default caches a scrape for 300 ms).
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }
            });
        if (options.Traces.Enabled || exportsOtlp)
        {
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.Traces.SampleRatio)))
                .AddSource(ParleyTelemetry.ActivitySourcePrefix)
                .AddSource(ParleyTelemetry.OrleansActivitySources)
                .AddAspNetCoreInstrumentation(o => o.Filter = static context => !ParleyTelemetry.IsHousekeepingPath(context.Request.Path.Value))
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = static request
                    => request.RequestUri is not { } uri || !ParleyTelemetry.IsHousekeepingPath(uri.AbsolutePath)));
        }
        if (exportsOtlp)
        {
            telemetry.WithLogging();
            if (string.IsNullOrWhiteSpace(options.Otlp.Endpoint))
            {
                // OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS and the per-signal variables, as the SDK reads them.
                telemetry.UseOtlpExporter();
            }
            else
            {
                var protocol = options.Otlp.Protocol == OtlpOptions.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                telemetry.UseOtlpExporter(protocol, new Uri(options.Otlp.Endpoint));
            }
        }
        if (options.Metrics.Enabled)
        {
            // The API keeps its URLs; the management port is added beside each of them.
            var api = ManagementPort.ApiUrls(configuration);
            builder.WebHost.UseUrls([.. api, .. ManagementPort.Urls(configuration, options.Metrics.Port)]);
        }
        return builder;
    }

    /// <summary>Serves the management port: the Prometheus scrape at <c>Parley:Telemetry:Metrics:Path</c>, a bare 404
    /// for anything else there (nothing of the API is reachable through it). Call it first, before auth and routing.</summary>
    public static WebApplication UseParleyServiceDefaults(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Metrics;
        if (!options.Enabled)
        {
            return app;
        }
        var port = options.Port;
        var path = new PathString(options.Path);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: context => context.Connection.LocalPort == port && context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase),
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort != port)
            {
                return next(context);
            }
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }
}
