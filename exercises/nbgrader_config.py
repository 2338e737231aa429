# nbgrader configuration of the Unit 17 exercises (this folder is the nbgrader course directory).
#
# The course's own commands (make student-versions / make grade) load this file
# too, so the stub texts below are what students see. Plain `nbgrader` commands
# run from this folder work as usual (e.g. `nbgrader formgrader`), but only
# `make grade` runs student code in the sandbox; see README.md, "For instructors".
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads the file)

c.CourseDirectory.course_id = "unit17"

# What replaces a solution region in the student version.
c.ClearSolutions.code_stub = {"python": '# 在此作答\nraise NotImplementedError("在此作答")'}
c.ClearSolutions.text_stub = "在此作答（請用自己的話回答）"

# nbgrader's own Execute timeout, for instructors who run `nbgrader autograde` by hand.
c.Execute.timeout = 300
