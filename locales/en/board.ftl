# Socialjouren's night board. Every key here is in the other language's
# board.ftl too; a test fails otherwise.
