package kqifake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
)

// The encoders below build the api package's wire types, so the fake's
// answers have exactly the shapes the client decodes and the contract test
// checks against swagger.json. s.mu must be held.

// entryPoints are the commands the fake's jobs run.
var entryPoints = map[api.Kind]string{
	api.KindTraining: "python train.py --epochs 30", api.KindInference: "python predict.py", api.KindNotebook: "jupyter lab",
}

func (s *Server) ts(t time.Time) string { return api.FormatTime(t, s.loc) }

func (s *Server) jobIndex(j *job) api.JobIndex {
	return api.JobIndex{
		Audit:     api.Audit{CreatedBy: j.createdBy, CreatedAt: s.ts(j.createdAt), ModifiedBy: j.createdBy, ModifiedAt: s.ts(j.modifiedAt)},
		ID:        j.id,
		DisplayID: j.displayID,
		Name:      j.name,
		Memo:      j.memo,
		Status:    api.NormalStatus(j.status),
		Favorite:  j.favorite,
		FullName:  fmt.Sprintf("%d:%s", j.id, j.name),
	}
}

func (s *Server) dataSet(j *job) *api.DataSetIndex {
	return &api.DataSetIndex{
		Audit:     api.Audit{CreatedBy: j.createdBy, CreatedAt: s.ts(j.createdAt.Add(-72 * time.Hour))},
		ID:        100 + j.tenant,
		DisplayID: 1,
		Name:      "dataset-" + strings.ToLower(string(j.kind)),
	}
}

func (s *Server) trainingIndex(j *job) api.TrainingIndex {
	return api.TrainingIndex{
		JobIndex:   s.jobIndex(j),
		DataSet:    s.dataSet(j),
		EntryPoint: entryPoints[j.kind],
		Tags:       slices.Clone(j.tags),
	}
}

func (s *Server) inferenceIndex(j *job) api.InferenceIndex {
	return api.InferenceIndex{
		JobIndex:   s.jobIndex(j),
		DataSet:    s.dataSet(j),
		EntryPoint: entryPoints[j.kind],
	}
}

func (s *Server) runtime(j *job) api.JobRuntime {
	return api.JobRuntime{
		Key: fmt.Sprintf("%s-%d", j.kind, j.id),
		GitModel: &api.GitCommit{
			GitID: 1, Repository: "models", Owner: "kamonohashi", Branch: "main",
			CommitID: fmt.Sprintf("%040x", uint64(j.id)*0x9e3779b97f4a7c15),
		},
		Options: []api.KeyValue{{Key: "EPOCHS", Value: "30"}},
		ContainerImage: &api.ContainerImage{
			RegistryID: 1, Image: "pytorch/pytorch", Tag: "2.3.0-cuda12.1-cudnn8-runtime", RegistryName: "docker-hub",
		},
		StartedAt:     s.ts(j.startedAt),
		CompletedAt:   s.ts(j.completedAt),
		Node:          j.node,
		CPU:           j.cpu,
		Memory:        j.memory,
		GPU:           j.gpu,
		Partition:     "default",
		StatusType:    statusType(j.status),
		ConditionNote: j.conditionNote,
	}
}

// times computes waitingTime and executionTime as the server does.
func (s *Server) times(j *job) (waiting, execution string) {
	end := j.completedAt
	if end.IsZero() {
		end = s.now()
	}
	if j.startedAt.IsZero() {
		return elapsed(end.Sub(j.createdAt)), ""
	}
	return elapsed(j.startedAt.Sub(j.createdAt)), elapsed(end.Sub(j.startedAt))
}

// details is the detail answer of a training, inference or notebook job.
func (s *Server) details(j *job) any {
	waiting, execution := s.times(j)
	switch j.kind {
	case api.KindTraining:
		return api.TrainingDetails{
			TrainingIndex: s.trainingIndex(j),
			JobRuntime:    s.runtime(j),
			LogSummary:    j.logSummary,
			WaitingTime:   waiting,
			ExecutionTime: execution,
		}
	case api.KindInference:
		return api.InferenceDetails{
			InferenceIndex: s.inferenceIndex(j),
			JobRuntime:     s.runtime(j),
			LogSummary:     j.logSummary,
		}
	default:
		return api.NotebookDetails{
			JobIndex:          s.jobIndex(j),
			JobRuntime:        s.runtime(j),
			DataSet:           s.dataSet(j),
			JupyterLabVersion: "4.2.0",
			WaitingTime:       waiting,
			ExecutionTime:     execution,
			ExpiresIn:         0,
			EntryPoint:        entryPoints[j.kind],
		}
	}
}

// listItems encodes a page of a list of one kind.
func (s *Server) listItems(kind api.Kind, jobs []*job) any {
	switch kind {
	case api.KindTraining:
		return each(jobs, s.trainingIndex)
	case api.KindInference:
		return each(jobs, s.inferenceIndex)
	}
	return each(jobs, s.jobIndex)
}

func (s *Server) defIndex(d *preprocessDef) api.PreprocessingIndex {
	return api.PreprocessingIndex{
		Audit:  api.Audit{CreatedBy: d.createdBy, CreatedAt: s.ts(d.createdAt), ModifiedBy: d.createdBy, ModifiedAt: s.ts(d.createdAt)},
		ID:     d.id,
		Name:   d.name,
		CPU:    2,
		Memory: 8,
	}
}

func (s *Server) history(j *job) api.PreprocessingHistory {
	return api.PreprocessingHistory{
		Key:            fmt.Sprintf("preproc-%d", j.id), // Models/TenantModels/PreprocessHistory.cs line 119
		Status:         api.NormalStatus(j.status),
		StatusType:     statusType(j.status),
		CreatedAt:      s.ts(j.createdAt),
		DataID:         j.dataID,
		DataName:       j.dataName,
		PreprocessID:   j.parent,
		PreprocessName: j.name,
	}
}

// tenantInfo is t as the account sees it: its own tenant (IsOrigin),
// where it has the role researchers.
func tenantInfo(t *tenant, defaultID int64) api.TenantInfo {
	return api.TenantInfo{
		ID:          t.id,
		Name:        t.name,
		DisplayName: t.displayName,
		Default:     t.id == defaultID,
		IsOrigin:    true,
		Roles: []api.RoleInfo{{
			ID: 2, Name: "researchers", DisplayName: "Researchers", SortOrder: 2, IsOrigin: true,
		}},
	}
}

// realJSON encodes v as the real server does: Newtonsoft.Json with
// Formatting.Indented and its default NullValueHandling.Include
// (Controllers/Util/CustomJsonResult.cs, SerializeJsonAsync, lines 96-106),
// so the answer is indented by two spaces and an unset string, object or
// list is written as an explicit null rather than left out. The wire types
// mark those fields omitempty; numbers and booleans keep their value, as
// .NET's value types do.
func realJSON(v any) ([]byte, error) {
	var b, out bytes.Buffer
	if err := encodeReal(&b, reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	err := json.Indent(&out, b.Bytes(), "", "  ")
	return out.Bytes(), err
}

// encodeReal appends v to b as encoding/json would, but with explicit nulls.
func encodeReal(b *bytes.Buffer, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("null")
		return nil
	case reflect.Interface, reflect.Pointer, reflect.Slice:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		if v.Kind() != reflect.Slice {
			return encodeReal(b, v.Elem())
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeReal(b, v.Index(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case reflect.Struct:
		if _, ok := v.Interface().(json.Marshaler); !ok {
			b.WriteByte('{')
			err := encodeFields(b, v)
			b.WriteByte('}')
			return err
		}
	}
	data, err := json.Marshal(v.Interface())
	b.Write(data)
	return err
}

// encodeFields appends the fields of struct v in declaration order,
// inlining untagged embedded structs as encoding/json does. An omitempty
// string, pointer, slice, map or interface that is empty is written null.
func encodeFields(b *bytes.Buffer, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case f.Anonymous && name == "" && fv.Kind() == reflect.Struct:
			if err := encodeFields(b, fv); err != nil {
				return err
			}
			continue
		case name == "":
			name = f.Name
		}
		if b.Bytes()[b.Len()-1] != '{' {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		switch fv.Kind() {
		case reflect.String, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			if strings.Contains(","+opts+",", ",omitempty,") && fv.IsZero() {
				b.WriteString("null") // .NET writes null
				continue
			}
		}
		if err := encodeReal(b, fv); err != nil {
			return err
		}
	}
	return nil
}
