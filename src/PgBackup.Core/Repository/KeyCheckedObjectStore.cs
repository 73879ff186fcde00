using System.Runtime.CompilerServices;
using PgBackup.Errors;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository;

/// <summary>
/// A store that, before its first read or write, checks that the codec's key (or the lack of one)
/// is the repository's, by the key check in repo.json. Every verb then fails fast with one clear
/// line — wrong key, key missing, key given for a plain repository — instead of at the first object
/// that does not decrypt or parse. A repository without repo.json yet passes: there is nothing to
/// disagree with, and whoever creates repo.json records the key check.
/// </summary>
internal sealed class KeyCheckedObjectStore(IObjectStore inner, RepositoryLayout layout, RepositoryCodec codec) : IObjectStore, IDisposable
{
    private readonly Lock _gate = new();
    private Task? _check;

    public string Describe => inner.Describe;

    public async Task PutAsync(string key, Stream content, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        await inner.PutAsync(key, content, ct).ConfigureAwait(false);
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        await inner.PutAsync(key, content, ct).ConfigureAwait(false);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        return await inner.OpenReadAsync(key, ct).ConfigureAwait(false);
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        return await inner.OpenReadAsync(key, offset, length, ct).ConfigureAwait(false);
    }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        return await inner.HeadAsync(key, ct).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        await foreach (var o in inner.ListAsync(prefix, ct).ConfigureAwait(false))
            yield return o;
    }

    public async Task DeleteAsync(string key, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        await inner.DeleteAsync(key, ct).ConfigureAwait(false);
    }

    public async Task DeleteManyAsync(IEnumerable<string> keys, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        await inner.DeleteManyAsync(keys, ct).ConfigureAwait(false);
    }

    public async Task RemoveLeftoversAsync(string prefix, CancellationToken ct = default)
    {
        await CheckKeyAsync(ct).ConfigureAwait(false);
        await inner.RemoveLeftoversAsync(prefix, ct).ConfigureAwait(false);
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();

    /// <summary>Runs the check once; a check that failed runs again on the next call, so a passing network error is not remembered.</summary>
    private Task CheckKeyAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_check is null || _check.IsFaulted || _check.IsCanceled)
                _check = ReadKeyCheckAsync();
            return _check.WaitAsync(ct);
        }
    }

    private async Task ReadKeyCheckAsync()
    {
        // Shared by concurrent callers, so no one caller's cancellation may end it.
        var descriptor = await RepositoryDescriptor.ReadAsync(inner, layout, CancellationToken.None).ConfigureAwait(false);
        if (descriptor is not null && RepositoryDescriptor.KeyMismatch(descriptor.KeyCheck, codec.Key?.KeyCheck) is { } problem)
            throw new RepositoryMismatchException($"'{layout.Descriptor}' in {inner.Describe}: {problem}");
    }
}
