namespace Inventory.Infra.Tests;

/// <summary>Paths in the repository, found from the test binaries upwards (the folder holding Inventory.sln).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string Infra => Path.Combine(Root, "infra");

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Inventory.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No Inventory.sln in {AppContext.BaseDirectory} or any folder above it: the tests must run from inside the repository.");
    }
}
