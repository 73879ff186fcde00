namespace PgBackup.Policies;

/// <summary>
/// One key of a policy file as <see cref="PolicyKeys"/> lists it: where it sits, what it holds,
/// its default and one line on what it does. The loader reads keys only through these, so a key's
/// type, range and default are stated once.
/// </summary>
/// <param name="Path">Dotted from the file's root, e.g. "repository.s3.bucket".</param>
/// <param name="Type">What a value must be, as an operator reads it, e.g. "whole number 1-19".</param>
/// <param name="Default">The value an absent key takes; null when it is required, has none, or is
/// derived from other keys (the description says how).</param>
internal abstract record PolicyKey(string Path, string Type, object? Default, string Description)
{
    /// <summary>The key as written in its section.</summary>
    public string Name => Path[(Path.LastIndexOf('.') + 1)..];

    /// <summary>The dotted path of the section holding the key; "" for the file's root.</summary>
    public string Section => Path.LastIndexOf('.') is var dot and >= 0 ? Path[..dot] : "";

    /// <summary>Every spelling of the key a section may contain (a secret has three, see <see cref="PolicyNode.Secret"/>).</summary>
    public IReadOnlyList<string> Names { get => field ?? [Name]; init; }
}

/// <summary>A key whose value reads as <typeparamref name="T"/>, absent keys taking the default.</summary>
internal sealed record PolicyKey<T>(string Path, string Type, object? Default, string Description, Func<PolicyNode, string, T> Read)
    : PolicyKey(Path, Type, Default, Description);
