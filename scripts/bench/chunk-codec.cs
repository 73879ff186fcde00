// Chunk codec throughput, with and without encryption, on one core: what encryption costs a backup.
//
//   dotnet run -c Release scripts/bench/chunk-codec.cs -- DIR [MiB]
//
// Cuts the files under DIR (a PGDATA is realistic data) into 4 MiB chunks, up to MiB of them
// (default 512), and times RepositoryCodec's chunk encode and decode at zstd level 3, plain and
// with AES-256-GCM, best of 7 alternating runs. Prints MB/s of plain bytes (1 MB = 10^6 bytes).
#:project ../../src/PgBackup.Core/PgBackup.Core.csproj
#:property PublishAot=false

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using PgBackup.Repository.Codecs;

const int ChunkSize = 4 << 20;
var root = args.Length > 0 ? args[0] : throw new ArgumentException("usage: chunk-codec.cs DIR [MiB]");
var limit = (args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 512) << 20;

var chunks = new List<byte[]>();
long total = 0;
foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
{
    using var stream = File.OpenRead(file);
    while (total < limit)
    {
        var chunk = new byte[ChunkSize];
        var n = stream.ReadAtLeast(chunk, ChunkSize, throwOnEndOfStream: false);
        if (n == 0) break;
        chunks.Add(chunk[..n]);
        total += n;
    }
    if (total >= limit) break;
}
Console.WriteLine($"{chunks.Count} chunks, {total / 1e6:0} MB of plain data from {root}");

var key = EncryptionKey.TryParse(RandomNumberGenerator.GetHexString(64), "benchmark")!;
var modes = new[] { new Mode("zstd-3", new RepositoryCodec(3), chunks), new Mode("zstd-3 + AES-256-GCM", new RepositoryCodec(3, key), chunks) };
// Runs alternate between the modes, so both see the same machine (JIT tiers, caches, neighbours).
for (var run = 0; run < 7; run++)
    foreach (var mode in modes)
        mode.Run();
foreach (var mode in modes)
    Console.WriteLine($"{mode.Name,-22} encode {total / 1e6 / mode.Encode,7:0} MB/s   decode {total / 1e6 / mode.Decode,7:0} MB/s   stored {mode.StoredBytes * 100.0 / total:0.0}%");

// AES-256-GCM alone, for scale: what the encryption stage costs without compression around it.
using (var gcm = new AesGcm(RandomNumberGenerator.GetBytes(32), 16))
{
    var buffer = chunks[0].ToArray();
    var tag = new byte[16];
    var nonce = new byte[12];
    var seconds = double.MaxValue;
    for (var run = 0; run < 5; run++)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 64; i++)
            gcm.Encrypt(nonce, buffer, buffer, tag); // one nonce over and over: fine for timing, never for data
        seconds = Math.Min(seconds, clock.Elapsed.TotalSeconds);
    }
    Console.WriteLine($"{"AES-256-GCM alone",-22} encrypt {64.0 * buffer.Length / 1e6 / seconds,6:0} MB/s");
}

/// <summary>One codec over all chunks, keeping its best encode and decode times.</summary>
sealed class Mode(string name, RepositoryCodec codec, List<byte[]> chunks)
{
    private readonly ChunkCodec _codec = codec.CreateChunkCodec();
    private readonly byte[][] _stored = chunks.Select(c => new byte[ChunkCodec.MaxEncodedLength(c.Length)]).ToArray();
    private readonly int[] _lengths = new int[chunks.Count];
    private readonly byte[] _plain = new byte[chunks.Max(c => c.Length)];

    public string Name => name;
    public double Encode { get; private set; } = double.MaxValue;
    public double Decode { get; private set; } = double.MaxValue;
    public long StoredBytes => _lengths.Sum(l => (long)l);

    public void Run()
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < chunks.Count; i++)
            _lengths[i] = _codec.Encode(chunks[i], _stored[i]);
        Encode = Math.Min(Encode, clock.Elapsed.TotalSeconds);
        clock.Restart();
        for (var i = 0; i < chunks.Count; i++)
            _codec.Decode(_stored[i].AsSpan(0, _lengths[i]), _plain.AsSpan(0, chunks[i].Length));
        Decode = Math.Min(Decode, clock.Elapsed.TotalSeconds);
    }
}
