import BudgetSchema
import Testing

@Suite("Splitting migration files into statements")
struct SQLStatementsTests {
    @Test("semicolons inside strings, identifiers, dollar quotes and comments do not split")
    func hiddenSemicolons() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE "odd;name" (a text DEFAULT 'x;y''z');
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
            BEGIN RETURN 1; END;
            $body$;
            SELECT $$a;b$$, E'it\\'s;';
            ;
            SELECT 1
            """
        let statements = SQLStatements.split(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasPrefix("-- a comment; with a semicolon\n"))
        #expect(statements[0].hasSuffix(#"CREATE TABLE "odd;name" (a text DEFAULT 'x;y''z')"#))
        #expect(statements[1].hasPrefix("/* block;") && statements[1].hasSuffix("$body$"))
        #expect(statements[2] == #"SELECT $$a;b$$, E'it\'s;'"#)
        #expect(statements[3] == "SELECT 1")
    }

    @Test("positional parameters like $1 are not dollar quotes")
    func positionalParameters() {
        #expect(SQLStatements.split("SELECT $1; SELECT 2;") == ["SELECT $1", "SELECT 2"])
    }
}
