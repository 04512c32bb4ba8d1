"""What a lesson notebook uses at run time: the fresh lesson, the SQL echo, the answer log, the session views."""
