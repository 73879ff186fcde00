using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository;

/// <summary>One cluster's repository: the store, where things live in it, and how objects are encoded.</summary>
public sealed class BackupRepository : IDisposable
{
    public BackupRepository(IObjectStore store, RepositoryLayout layout, RepositoryCodec codec)
    {
        Store = new KeyCheckedObjectStore(store, layout, codec);
        Layout = layout;
        Codec = codec;
        Wal = new WalObjects(Store, layout, codec);
    }

    /// <summary>The repository's objects; the first use checks that <see cref="Codec"/> has the repository's key.</summary>
    public IObjectStore Store { get; }
    public RepositoryLayout Layout { get; }
    public RepositoryCodec Codec { get; }
    public WalObjects Wal { get; }

    public string Describe => $"{Store.Describe} (cluster {Layout.Cluster})";

    public void Dispose() => (Store as IDisposable)?.Dispose();
}
