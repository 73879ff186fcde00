using System.Security.Cryptography;
using System.Text;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>The answer to AuthenticationMD5Password: "md5" + md5(md5(password + user) + salt), in lower-case hex.</summary>
internal static class Md5Password
{
    /// <summary>What pg_authid stores for an md5 password: "md5" + md5(password + user).</summary>
    public static string StoredHash(string user, string password) =>
        "md5" + Hex(MD5.HashData(Encoding.UTF8.GetBytes(password + user)));

    public static string Response(string user, string password, ReadOnlySpan<byte> salt)
    {
        var inner = Encoding.ASCII.GetBytes(StoredHash(user, password)[3..]);
        var outer = new byte[inner.Length + salt.Length];
        inner.CopyTo(outer, 0);
        salt.CopyTo(outer.AsSpan(inner.Length));
        return "md5" + Hex(MD5.HashData(outer));
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}
