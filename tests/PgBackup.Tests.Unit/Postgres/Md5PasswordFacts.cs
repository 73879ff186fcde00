using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Tests.Unit.Postgres;

public class Md5PasswordFacts
{
    [Fact]
    public void Hashes_password_and_user_as_postgres_stores_it() =>
        // psql: SELECT 'md5'||md5('password'||'user')  →  md54d45974e13472b5a0be3533de4666414
        Assert.Equal("md54d45974e13472b5a0be3533de4666414", Md5Password.StoredHash("user", "password"));

    [Fact]
    public void Answers_the_salt_challenge_with_md5_of_the_stored_hash_and_salt() =>
        // psql: SELECT 'md5'||md5('4d45974e13472b5a0be3533de4666414'::bytea || '\x01020304'::bytea)
        Assert.Equal("md5a3576f1ae039b8996bc4fc2720f9c71a", Md5Password.Response("user", "password", [1, 2, 3, 4]));
}
