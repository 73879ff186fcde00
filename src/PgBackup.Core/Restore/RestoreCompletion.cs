using PgBackup.IO;

namespace PgBackup.Restore;

/// <summary>
/// The two ends of a durable restore, as pgBackRest does it. <see cref="Begin"/> marks PGDATA as a
/// restore in progress; <see cref="CompleteAsync"/> runs once every file is written: it flushes every
/// file not flushed as it was written, and every directory (so data and new names survive a power
/// loss), all in parallel, then removes the mark and renames pg_control into place. Until that rename PostgreSQL
/// refuses to start the directory.
/// </summary>
internal static class RestoreCompletion
{
    public static void Begin(RestoreTarget target, string backupId)
    {
        // 0700, as PostgreSQL demands of a data directory (CreateLayout keeps the mode of one that exists).
        Directory.CreateDirectory(target.PgData, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        WriteDurably(target.MarkerPath, $"backup {backupId}, started {DateTimeOffset.UtcNow:u} by process {Environment.ProcessId} on {Environment.MachineName}\n");
        DirectorySync.Flush(target.PgData);
    }

    /// <summary>Writes a small file of the restore's own (recovery settings, signal files) and flushes it.</summary>
    public static void WriteDurably(string path, string content, bool append = false)
    {
        using var file = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None);
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }

    /// <param name="flushedAsWritten">A directory whose files were flushed as they were written (and may still be written): only the directory is flushed here.</param>
    /// <param name="flushFiles">False when every other file was flushed as it was written too (the restore's own small files always are): then only directories are flushed.</param>
    public static async Task CompleteAsync(RestoreTarget target, string flushedAsWritten, bool flushFiles, CancellationToken ct)
    {
        var directories = target.Roots.SelectMany(root => Directories(new DirectoryInfo(root)).Prepend(root)).ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 4, CancellationToken = ct };
        if (flushFiles)
        {
            // At the end rather than as each file is finished: the kernel has written most pages back by
            // now, and the flushes run in parallel.
            var skipped = Path.GetFullPath(flushedAsWritten);
            var files = directories.Where(d => Path.GetFullPath(d) != skipped)
                .SelectMany(d => new DirectoryInfo(d).EnumerateFiles().Where(f => f.LinkTarget is null).Select(f => f.FullName));
            await Parallel.ForEachAsync(files, parallel, (file, _) => { FlushFile(file); return ValueTask.CompletedTask; }).ConfigureAwait(false);
        }
        await Parallel.ForEachAsync(directories, parallel, (dir, _) => { DirectorySync.Flush(dir); return ValueTask.CompletedTask; }).ConfigureAwait(false);

        // The mark goes first: from the rename on, the directory is complete and PostgreSQL may start it,
        // and a startable directory must never be named unfinished. Until the rename, the held pg_control
        // alone names it so (RestoreTarget.Interrupted).
        var held = Path.Combine(target.PgData, RestoreTarget.HeldPgControl);
        File.Delete(target.MarkerPath);
        File.Move(held, Path.Combine(target.PgData, RestoreTarget.PgControl), overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(held)!);
        DirectorySync.Flush(target.PgData);
    }

    private static void FlushFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Every directory below <paramref name="dir"/>, not following symbolic links (a tablespace link is flushed at its own root).</summary>
    private static IEnumerable<string> Directories(DirectoryInfo dir)
    {
        foreach (var sub in dir.EnumerateDirectories())
        {
            if (sub.LinkTarget is not null) continue;
            yield return sub.FullName;
            foreach (var deeper in Directories(sub)) yield return deeper;
        }
    }
}
