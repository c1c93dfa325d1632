CREATE TABLE "deadline_steps" (
	"deadline_id" uuid NOT NULL,
	"step" text NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"fired_at" timestamp (3) with time zone NOT NULL,
	"recipients" jsonb NOT NULL,
	CONSTRAINT "deadline_steps_deadline_id_step_pk" PRIMARY KEY("deadline_id","step"),
	CONSTRAINT "deadline_steps_step_check" CHECK ("deadline_steps"."step" in ('reminder', 'level1', 'level2'))
);
--> statement-breakpoint
ALTER TABLE "deadline_steps" ADD CONSTRAINT "deadline_steps_deadline_id_deadlines_id_fk" FOREIGN KEY ("deadline_id") REFERENCES "public"."deadlines"("id") ON DELETE no action ON UPDATE no action;