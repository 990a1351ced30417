// The CLI's end-to-end tests drive Linux tools (a D-Bus Secret Service, tmux, POSIX signals).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
