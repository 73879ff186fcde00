using System.Text;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>Reads the fields of an ErrorResponse ('E') or NoticeResponse ('N') payload.</summary>
internal static class ErrorResponseParser
{
    public static PostgresServerError Parse(ReadOnlySpan<byte> payload)
    {
        string severity = "ERROR", sqlState = "XX000", message = "", detail = "", hint = "";
        while (payload.Length > 0 && payload[0] != 0)
        {
            var field = (char)payload[0];
            var end = payload[1..].IndexOf((byte)0);
            if (end < 0)
                break;
            var value = Encoding.UTF8.GetString(payload.Slice(1, end));
            payload = payload[(end + 2)..];
            switch (field)
            {
                case 'V': severity = value; break; // non-localized severity
                case 'C': sqlState = value; break;
                case 'M': message = value; break;
                case 'D': detail = value; break;
                case 'H': hint = value; break;
            }
        }
        return new PostgresServerError(severity, sqlState, message, detail.Length > 0 ? detail : null, hint.Length > 0 ? hint : null);
    }
}
