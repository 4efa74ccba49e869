using System.Reflection;

namespace Inventory.Infra.Tests;

/// <summary>
/// The bicep CLI restored from NuGet (Azure.Bicep.CommandLine.linux-x64) by this project's own PackageReference;
/// the build records its path in an assembly attribute.
/// </summary>
public static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static string Path { get; } = Locate();

    public static ProcessResult Run(string workingDirectory, params string[] arguments) =>
        ProcessRunner.Run(Path, arguments, workingDirectory, Timeout);

    private static string Locate()
    {
        var path = typeof(BicepCli).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == "BicepPath")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The bicep CLI is not at '{path}'. It comes from the Azure.Bicep.CommandLine.linux-x64 package: run dotnet restore.");
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute);
            }
        }

        return path;
    }
}
