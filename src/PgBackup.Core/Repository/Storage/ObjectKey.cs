namespace PgBackup.Repository.Storage;

/// <summary>
/// The rules every store enforces on keys, so a key that works on S3 also works on a local
/// directory and can never escape the store's root.
/// </summary>
public static class ObjectKey
{
    /// <summary>Throws unless <paramref name="key"/> is relative, '/'-separated, without empty, "." or ".." segments.</summary>
    public static void Validate(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ValidatePrefix(key);
        if (key.EndsWith('/'))
            throw new ArgumentException($"object key '{key}' ends with '/'", nameof(key));
    }

    /// <summary>Like <see cref="Validate"/>, but also allows "" and a trailing '/' or partial last segment.</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
            return;
        if (prefix.StartsWith('/') || prefix.Contains('\\') || prefix.Contains('\0'))
            throw new ArgumentException($"object key '{prefix}' must be relative and '/'-separated", nameof(prefix));
        var segments = prefix.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            var last = i == segments.Length - 1;
            if ((s.Length == 0 && !last) || s == "." || s == "..")
                throw new ArgumentException($"object key '{prefix}' has an empty, '.' or '..' segment", nameof(prefix));
        }
    }
}
