using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository;

/// <summary>One cluster's repository: the store, where things live in it, and how objects are encoded.</summary>
public sealed class BackupRepository(IObjectStore store, RepositoryLayout layout, RepositoryCodec codec) : IDisposable
{
    public IObjectStore Store { get; } = store;
    public RepositoryLayout Layout { get; } = layout;
    public RepositoryCodec Codec { get; } = codec;
    public WalObjects Wal { get; } = new(store, layout, codec);

    public string Describe => $"{Store.Describe} (cluster {Layout.Cluster})";

    public void Dispose() => (Store as IDisposable)?.Dispose();
}
